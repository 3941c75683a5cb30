import { parseIpRange } from './ip-range';

describe('parseIpRange', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['1.2.3.4/32', '1.2.3.4'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.7.255/23', '192.168.6.0/23'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255/1', '128.0.0.0/1'],
    ['2001:DB8:0:0:0::1', '2001:db8::1'],
    ['2001:db8::1/128', '2001:db8::1'],
    ['2001:db8:abcd:12::/32', '2001:db8::/32'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1:2:3:4/64', 'fe80::/64'],
    ['::/0', '::/0'],
    ['::1', '::1'],
    ['2001:db8::ffff/127', '2001:db8::fffe/127'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:1.2.3.0/120', '1.2.3.0/24'],
    ['::FFFF:102:304/128', '1.2.3.4'],
    ['::ffff:0:0/95', '::fffe:0:0/95'],
  ])('reads %p as %p', (input, canonical) => {
    expect(parseIpRange(input)).toEqual({ ok: true, value: canonical });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['localhost', /"localhost" is not an IPv4 or IPv6 address or CIDR range/],
    ['1.2.3', /not an IPv4 or IPv6/],
    ['256.1.1.1', /not an IPv4 or IPv6/],
    ['01.2.3.4', /not an IPv4 or IPv6/],
    ['1.2.3.4/33', /prefix length must be a whole number from 0 to 32/],
    ['1.2.3.4/', /prefix length/],
    ['1.2.3.4/08', /prefix length/],
    ['1.2.3.4/-1', /prefix length/],
    ['1.2.3.4/8/8', /prefix length/],
    ['2001:db8::/129', /prefix length must be a whole number from 0 to 128/],
    ['fe80::1%eth0', /not an IPv4 or IPv6/],
    ['2001:db8:::1', /not an IPv4 or IPv6/],
    ['[::1]', /not an IPv4 or IPv6/],
    ['1'.repeat(101), /longer than 100/],
  ])('refuses %p', (input, message) => {
    const parsed = parseIpRange(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('refuses what is not a string without throwing', () => {
    expect(parseIpRange(42 as unknown as string)).toEqual({ ok: false, message: 'expected a string' });
  });
});
