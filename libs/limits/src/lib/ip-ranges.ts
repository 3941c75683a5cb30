import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A result that carries either the value or a message for the person who typed the input. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** An address as bytes: 4 for IPv4, 16 for IPv6. IPv4-mapped IPv6 addresses become IPv4. */
interface Address {
  family: 4 | 6;
  bytes: number[];
}

/** A parsed range: the network address (host bits cleared) and its prefix length. */
export interface IpRange {
  family: 4 | 6;
  /** The network address in canonical text (dotted quad, or RFC 5952 for IPv6). */
  network: string;
  prefix: number;
}

function ipv4Bytes(s: string): number[] {
  return s.split('.').map(Number);
}

/** Expands an IPv6 text (already checked by net.isIPv6, no zone) to 16 bytes. */
function ipv6Bytes(s: string): number[] {
  let text = s;
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is the last two hextets.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const [a, b, c, d] = ipv4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const hextetsOf = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  let hextets: number[];
  const gap = text.indexOf('::');
  if (gap >= 0) {
    const head = hextetsOf(text.slice(0, gap));
    const rest = hextetsOf(text.slice(gap + 2));
    hextets = [...head, ...Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    hextets = hextetsOf(text);
  }
  return hextets.flatMap((h) => [h >> 8, h & 0xff]);
}

function isMappedIpv4(bytes: number[]): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Parses an address (no prefix). A zone id (`fe80::1%eth0`) is refused here; see `check` for sockets. */
function parseAddress(s: string): Address | null {
  if (isIPv4(s)) return { family: 4, bytes: ipv4Bytes(s) };
  if (!isIPv6(s) || s.includes('%')) return null;
  const bytes = ipv6Bytes(s);
  if (bytes.length !== 16) return null;
  return isMappedIpv4(bytes) ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero hextets as "::". */
function formatIpv6(bytes: number[]): string {
  const hextets: number[] = [];
  for (let i = 0; i < 16; i += 2) hextets.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((h) => h.toString(16)).join(':');
  if (bestStart < 0) return hex(hextets);
  return `${hex(hextets.slice(0, bestStart))}::${hex(hextets.slice(bestStart + bestLength))}`;
}

function formatAddress(a: Address): string {
  return a.family === 4 ? a.bytes.join('.') : formatIpv6(a.bytes);
}

function masked(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return keep === 8 ? b : b & ((0xff << (8 - keep)) & 0xff);
  });
}

const MAX_RANGE_LENGTH = 100;

/**
 * Parses an IPv4/IPv6 address or CIDR range into its canonical form, or says what is wrong.
 * Host bits are cleared (`10.1.2.3/8` → `10.0.0.0/8`), a full-length prefix is dropped
 * (`1.2.3.4/32` → `1.2.3.4`), IPv6 is written as RFC 5952 (`2001:DB8:0::1` → `2001:db8::1`), and
 * IPv4-mapped IPv6 (`::ffff:1.2.3.0/120`) becomes the IPv4 range it stands for (`1.2.3.0/24`),
 * because sockets report IPv4 clients of a dual-stack server in that form. An IPv6 range shorter
 * than /96 that happens to contain the mapped block (`::/0`) stays IPv6 and matches IPv6 clients
 * only: IPv4 clients are matched by IPv4 ranges, so `::/0` does not silently open IPv4 too.
 */
export function parseIpRangeDetailed(input: string): Parsed<IpRange> {
  if (typeof input !== 'string') return { ok: false, message: 'expected a string' };
  const s = input.trim();
  if (s === '') return { ok: false, message: 'expected an IP address or CIDR range, got an empty string' };
  if (s.length > MAX_RANGE_LENGTH) return { ok: false, message: `longer than ${MAX_RANGE_LENGTH} characters` };
  const slash = s.indexOf('/');
  const addressText = slash < 0 ? s : s.slice(0, slash);
  const address = parseAddress(addressText);
  if (!address) return { ok: false, message: `"${s}" is not an IPv4 or IPv6 address or CIDR range` };
  const wasIpv6 = addressText.includes(':');
  let prefix = address.family === 4 ? 32 : 128;
  if (slash >= 0) {
    const prefixText = s.slice(slash + 1);
    const max = wasIpv6 ? 128 : 32;
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > max) {
      return { ok: false, message: `"${s}": the prefix length must be a whole number from 0 to ${max}` };
    }
    prefix = Number(prefixText);
    if (wasIpv6 && address.family === 4) {
      // A mapped address with a prefix: /96 and longer cover only mapped space, i.e. IPv4.
      if (prefix < 96) {
        const bytes = ipv6Bytes(addressText);
        return canonical({ family: 6, bytes }, prefix);
      }
      prefix -= 96;
    }
  }
  return canonical(address, prefix);
}

function canonical(address: Address, prefix: number): Parsed<IpRange> {
  const network = formatAddress({ family: address.family, bytes: masked(address.bytes, prefix) });
  return { ok: true, value: { family: address.family, network, prefix } };
}

function rangeText(r: IpRange): string {
  return r.prefix === (r.family === 4 ? 32 : 128) ? r.network : `${r.network}/${r.prefix}`;
}

/** `parseIpRangeDetailed` as the canonical text the dashboard stores (`10.0.0.0/8`, `2001:db8::1`). */
export function parseIpRange(input: string): Parsed<string> {
  const parsed = parseIpRangeDetailed(input);
  return parsed.ok ? { ok: true, value: rangeText(parsed.value) } : parsed;
}

/** Thrown by IpRules for a range that does not parse (stored lists are validated on write). */
export class InvalidIpRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIpRangeError';
  }
}

/** A set of ranges, one net.BlockList per family so the families never cross-match. */
class RangeSet {
  private readonly v4 = new BlockList();
  private readonly v6 = new BlockList();

  constructor(ranges: readonly string[]) {
    for (const text of ranges) {
      const parsed = parseIpRangeDetailed(text);
      if (!parsed.ok) throw new InvalidIpRangeError(`invalid IP range: ${parsed.message}`);
      const { family, network, prefix } = parsed.value;
      if (family === 4) this.v4.addSubnet(network, prefix, 'ipv4');
      else this.v6.addSubnet(network, prefix, 'ipv6');
    }
  }

  has(a: Address): boolean {
    return a.family === 4 ? this.v4.check(formatAddress(a), 'ipv4') : this.v6.check(formatAddress(a), 'ipv6');
  }
}

export type IpVerdict = 'ok' | 'denied' | 'not_allowed';

export interface IpRulesInput {
  /** Ranges a request may come from; null or left out: anywhere. An empty list allows no address. */
  allowed?: readonly string[] | null;
  /** Ranges refused even when allowed. */
  denied?: readonly string[] | null;
  /** The admins' proxy-wide deny list. */
  globalDenied?: readonly string[] | null;
}

/**
 * Decides whether a client address may use a token. Denied wins over allowed. Several allow
 * lists (a token's own and its owner's cap, see `IpRules.both`) must each contain the address:
 * that is the intersection of the ranges without computing it.
 */
export class IpRules {
  /** Rules that let every address through. */
  static readonly NONE = new IpRules({});

  private readonly allow: RangeSet[] = [];
  private readonly deny: RangeSet[] = [];

  /** Throws InvalidIpRangeError when a range does not parse. */
  constructor(input: IpRulesInput) {
    if (input.allowed) this.allow.push(new RangeSet(input.allowed));
    for (const list of [input.denied, input.globalDenied]) if (list && list.length) this.deny.push(new RangeSet(list));
  }

  /** Rules an address must pass all of: every allow list, no deny list. */
  static both(...rules: IpRules[]): IpRules {
    const out = new IpRules({});
    for (const r of rules) {
      out.allow.push(...r.allow);
      out.deny.push(...r.deny);
    }
    return out;
  }

  /** True when no address can be refused (nothing to check on the request path). */
  get unrestricted(): boolean {
    return this.allow.length === 0 && this.deny.length === 0;
  }

  /**
   * `address` is the client's address as a socket or X-Forwarded-For reports it; a zone id
   * (`fe80::1%eth0`) is ignored. An address that does not parse is refused whenever any rule
   * exists: it cannot be shown to be outside a deny list.
   */
  check(address: string): IpVerdict {
    if (this.unrestricted) return 'ok';
    const zone = address.indexOf('%');
    const parsed = parseAddress((zone >= 0 ? address.slice(0, zone) : address).trim());
    if (!parsed) return this.deny.length ? 'denied' : 'not_allowed';
    if (this.deny.some((set) => set.has(parsed))) return 'denied';
    if (!this.allow.every((set) => set.has(parsed))) return 'not_allowed';
    return 'ok';
  }
}
