import { InvalidIpRangeError, IpRules, parseIpRange } from './ip-ranges';

describe('parseIpRange', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['1.2.3.4/32', '1.2.3.4'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.129/25', '192.168.1.128/25'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255/0', '0.0.0.0/0'],
    ['::1', '::1'],
    ['::', '::'],
    ['::/0', '::/0'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8::1/128', '2001:db8::1'],
    ['2001:db8:abcd:12ff::/56', '2001:db8:abcd:1200::/56'],
    ['fe80::1:2:3:4/64', 'fe80::/64'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    // IPv4-mapped IPv6 is the IPv4 range it stands for.
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:102:304', '1.2.3.4'],
    ['::ffff:1.2.3.4/128', '1.2.3.4'],
    ['::ffff:1.2.3.4/120', '1.2.3.0/24'],
    ['::ffff:0.0.0.0/96', '0.0.0.0/0'],
    // Shorter than /96 it is an IPv6 range (matches IPv6 clients only).
    ['::ffff:1.2.3.4/80', '::/80'],
  ])('%s → %s', (input, expected) => {
    expect(parseIpRange(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['localhost', /not an IPv4 or IPv6/],
    ['1.2.3', /not an IPv4 or IPv6/],
    ['1.2.3.256', /not an IPv4 or IPv6/],
    ['01.2.3.4', /not an IPv4 or IPv6/],
    ['1.2.3.4/33', /0 to 32/],
    ['1.2.3.4/-1', /0 to 32/],
    ['1.2.3.4/', /0 to 32/],
    ['1.2.3.4/08', /0 to 32/],
    ['1.2.3.4/8/8', /0 to 32/],
    ['1.2.3.4/ 8', /0 to 32/],
    ['::1/129', /0 to 128/],
    ['::ffff:1.2.3.4/129', /0 to 128/],
    ['1:2:3:4:5:6:7:8:9', /not an IPv4 or IPv6/],
    ['1::2::3', /not an IPv4 or IPv6/],
    ['fe80::1%eth0', /not an IPv4 or IPv6/],
    ['/8', /not an IPv4 or IPv6/],
    ['x'.repeat(101), /longer than 100/],
  ])('refuses %j', (input, message) => {
    const parsed = parseIpRange(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('refuses what is not a string (input from JSON)', () => {
    expect(parseIpRange(8 as unknown as string)).toEqual({ ok: false, message: 'expected a string' });
  });
});

describe('IpRules', () => {
  it('lets everything through without rules', () => {
    const rules = new IpRules({});
    expect(rules.unrestricted).toBe(true);
    expect(rules.check('1.2.3.4')).toBe('ok');
    expect(rules.check('garbage')).toBe('ok');
    expect(IpRules.NONE.check('::1')).toBe('ok');
  });

  it('allows only the listed ranges', () => {
    const rules = new IpRules({ allowed: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] });
    expect(rules.check('10.255.0.1')).toBe('ok');
    expect(rules.check('11.0.0.1')).toBe('not_allowed');
    expect(rules.check('2001:db8:1::5')).toBe('ok');
    expect(rules.check('2001:db9::5')).toBe('not_allowed');
    expect(rules.check('192.0.2.7')).toBe('ok');
    expect(rules.check('192.0.2.8')).toBe('not_allowed');
  });

  it('/32 and /128 match exactly one address; /0 every address of its family only', () => {
    const one = new IpRules({ allowed: ['203.0.113.9/32', '2001:db8::9/128'] });
    expect(one.check('203.0.113.9')).toBe('ok');
    expect(one.check('203.0.113.10')).toBe('not_allowed');
    expect(one.check('2001:db8::9')).toBe('ok');
    expect(one.check('2001:db8::a')).toBe('not_allowed');

    const allV4 = new IpRules({ allowed: ['0.0.0.0/0'] });
    expect(allV4.check('255.255.255.255')).toBe('ok');
    expect(allV4.check('::ffff:8.8.8.8')).toBe('ok');
    expect(allV4.check('2001:db8::1')).toBe('not_allowed');

    const allV6 = new IpRules({ allowed: ['::/0'] });
    expect(allV6.check('2001:db8::1')).toBe('ok');
    expect(allV6.check('::1')).toBe('ok');
    expect(allV6.check('8.8.8.8')).toBe('not_allowed');
    expect(allV6.check('::ffff:8.8.8.8')).toBe('not_allowed');
  });

  it('treats IPv4-mapped IPv6 client addresses, and mapped ranges, as IPv4', () => {
    const rules = new IpRules({ allowed: ['127.0.0.0/8'], denied: ['::ffff:127.0.0.9'] });
    expect(rules.check('::ffff:127.0.0.1')).toBe('ok');
    expect(rules.check('::FFFF:7f00:1')).toBe('ok');
    expect(rules.check('127.0.0.9')).toBe('denied');
    expect(rules.check('::ffff:127.0.0.9')).toBe('denied');
    expect(rules.check('::ffff:128.0.0.1')).toBe('not_allowed');
    // ::1 is IPv6 loopback, not 127.0.0.1.
    expect(rules.check('::1')).toBe('not_allowed');
  });

  it('denied wins over allowed, and the global deny list applies too', () => {
    const rules = new IpRules({ allowed: ['10.0.0.0/8'], denied: ['10.0.0.0/24'], globalDenied: ['10.9.0.0/16', '2001:db8::/32'] });
    expect(rules.check('10.1.0.1')).toBe('ok');
    expect(rules.check('10.0.0.1')).toBe('denied');
    expect(rules.check('10.9.1.1')).toBe('denied');
    expect(rules.check('2001:db8::1')).toBe('denied');
    expect(rules.check('2001:db9::1')).toBe('not_allowed');
    expect(new IpRules({ denied: ['0.0.0.0/0'] }).check('1.1.1.1')).toBe('denied');
    expect(new IpRules({ denied: ['0.0.0.0/0'] }).check('::2')).toBe('ok');
  });

  it('an empty allow list allows no address; an empty deny list denies none', () => {
    expect(new IpRules({ allowed: [] }).check('1.2.3.4')).toBe('not_allowed');
    expect(new IpRules({ denied: [], globalDenied: [] }).unrestricted).toBe(true);
  });

  it('ignores a zone id and refuses an address it cannot read whenever a rule exists', () => {
    expect(new IpRules({ allowed: ['fe80::/10'] }).check('fe80::1%eth0')).toBe('ok');
    expect(new IpRules({ allowed: ['0.0.0.0/0'] }).check('')).toBe('not_allowed');
    expect(new IpRules({ denied: ['192.0.2.0/24'] }).check('not-an-ip')).toBe('denied');
  });

  it('both(): every allow list must contain the address (token ∩ owner cap), any deny list refuses', () => {
    const token = new IpRules({ allowed: ['10.0.0.0/8'], denied: ['10.0.0.1'] });
    const cap = new IpRules({ allowed: ['10.1.0.0/16', '192.0.2.0/24'], denied: ['10.1.2.3'] });
    const rules = IpRules.both(token, cap, new IpRules({ globalDenied: ['10.1.9.0/24'] }));
    expect(rules.check('10.1.0.5')).toBe('ok');
    expect(rules.check('10.2.0.5')).toBe('not_allowed');
    expect(rules.check('192.0.2.1')).toBe('not_allowed');
    expect(rules.check('10.1.2.3')).toBe('denied');
    expect(rules.check('10.0.0.1')).toBe('denied');
    expect(rules.check('10.1.9.9')).toBe('denied');
    expect(IpRules.both(IpRules.NONE, IpRules.NONE).unrestricted).toBe(true);
  });

  it('throws a named error for a stored range that does not parse', () => {
    expect(() => new IpRules({ allowed: ['10.0.0.0/8', 'nope'] })).toThrow(InvalidIpRangeError);
    expect(() => new IpRules({ globalDenied: ['1.2.3.4/40'] })).toThrow(/0 to 32/);
  });
});
