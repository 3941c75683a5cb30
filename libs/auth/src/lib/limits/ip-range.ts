import { isIPv4, isIPv6 } from 'node:net';

/** Either the canonical text or a message for the person who typed the input. */
export type ParsedRange = { ok: true; value: string } | { ok: false; message: string };

const MAX_RANGE_LENGTH = 100;

/** 8 hextets of an IPv6 text net.isIPv6 accepted; WHATWG URL parsing expands the embedded-IPv4 form. */
function ipv6Hextets(text: string): number[] | null {
  let host: string;
  try {
    host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const hextets = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = host.indexOf('::');
  if (gap < 0) return hextets(host);
  const head = hextets(host.slice(0, gap));
  const tail = hextets(host.slice(gap + 2));
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 text (lower case, the first longest run of two or more zero hextets as "::"): WHATWG URL's serialiser. */
function formatIpv6(hextets: number[]): string {
  return new URL(`http://[${hextets.map((h) => h.toString(16)).join(':')}]/`).hostname.slice(1, -1);
}

/** Clears the bits past `prefix` in words of `bits` bits each. */
function masked(words: number[], bits: number, prefix: number): number[] {
  return words.map((w, i) => {
    const keep = Math.max(0, Math.min(bits, prefix - i * bits));
    return keep === bits ? w : w & (((1 << bits) - 1) ^ ((1 << (bits - keep)) - 1));
  });
}

const text4 = (bytes: number[], prefix: number) => `${masked(bytes, 8, prefix).join('.')}${prefix === 32 ? '' : `/${prefix}`}`;
const text6 = (hextets: number[], prefix: number) => `${formatIpv6(masked(hextets, 16, prefix))}${prefix === 128 ? '' : `/${prefix}`}`;

/**
 * An IPv4/IPv6 address or CIDR range in canonical text, or what is wrong with it: host bits
 * cleared (`10.1.2.3/8` → `10.0.0.0/8`), a full-length prefix dropped (`1.2.3.4/32` → `1.2.3.4`),
 * IPv6 as RFC 5952 (`2001:DB8:0::1` → `2001:db8::1`), and IPv4-mapped IPv6 (`::ffff:1.2.3.0/120`)
 * as the IPv4 range it stands for (`1.2.3.0/24`), since sockets report IPv4 clients of a
 * dual-stack server that way; a mapped prefix shorter than /96 stays IPv6.
 *
 * TODO(lead): the limits engine is committing `parseIpRange` (same signature, same canonical
 * form) in libs/limits/src/lib/ip-ranges.ts on branch limits-engine. Once it is on main, import
 * it here and delete this file, so that the stored text and the proxy's matching share one parser.
 */
export function parseIpRange(input: string): ParsedRange {
  if (typeof input !== 'string') return { ok: false, message: 'expected a string' };
  const s = input.trim();
  if (s === '') return { ok: false, message: 'expected an IP address or CIDR range, got an empty string' };
  if (s.length > MAX_RANGE_LENGTH) return { ok: false, message: `longer than ${MAX_RANGE_LENGTH} characters` };
  const slash = s.indexOf('/');
  const address = slash < 0 ? s : s.slice(0, slash);
  const prefixText = slash < 0 ? null : s.slice(slash + 1);
  const notARange: ParsedRange = { ok: false, message: `"${s}" is not an IPv4 or IPv6 address or CIDR range` };
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : 0;
  if (family === 0) return notARange;
  const max = family === 4 ? 32 : 128;
  if (prefixText !== null && (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > max)) {
    return { ok: false, message: `"${s}": the prefix length must be a whole number from 0 to ${max}` };
  }
  const prefix = prefixText === null ? max : Number(prefixText);
  if (family === 4) return { ok: true, value: text4(address.split('.').map(Number), prefix) };
  const hextets = ipv6Hextets(address);
  if (!hextets || hextets.length !== 8) return notARange;
  const mapped = hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff;
  if (mapped && prefix >= 96) {
    const bytes = [hextets[6] >> 8, hextets[6] & 0xff, hextets[7] >> 8, hextets[7] & 0xff];
    return { ok: true, value: text4(bytes, prefix - 96) };
  }
  return { ok: true, value: text6(hextets, prefix) };
}
