import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { DomainError } from './errors.js';

// API access lists: each entry is one IPv4/IPv6 address or a v4/v6 CIDR block, as Atlas's
// `UserAccessListRequest` allows. Parsed strictly, by the one parser below, so an entry means
// exactly what it looks like: IPv4 only as four decimal parts without leading zeros (no octal,
// hex or short forms), the same for a dotted quad inside IPv6, no zone ids, and a prefix length in
// decimal without leading zeros.

export const MAX_ACCESS_LIST_ENTRIES = 200;

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface AccessList {
  readonly entries: readonly string[];
  readonly ranges: readonly Range[];
}

/** A dotted quad at the end of an IPv6 text (`::ffff:1.2.3.4`). */
const EMBEDDED_IPV4 = /:(\d+)\.(\d+)\.(\d+)\.(\d+)$/;

/**
 * The one strict address parser. The syntax is checked by Node's net.isIPv4/isIPv6, which take
 * only decimal octets without leading zeros, in IPv4 and inside IPv6 alike (ipaddr.js's IPv6
 * parser is lenient there: it reads `::ffff:0177.0.0.1` as octal and `::ffff:0x7f.0.0.1` as hex).
 * The value comes from ipaddr.js, given only hexadecimal groups: the dotted quad is rewritten as
 * the two groups it stands for first, because ipaddr.js also misreads `::1.2.3.4` as `::ffff:1.2.3.4`.
 *
 * The deprecated IPv4-compatible form `::a.b.c.d` (RFC 4291 §2.5.5.1) is refused: it looks like
 * the IPv4 address a.b.c.d but is another (IPv6) address, which no client connects from, so an
 * entry written that way cannot mean what it looks like. Its hexadecimal spelling (`::7f00:1`)
 * reads as the IPv6 address it is and is kept, IPv6 only.
 */
export function parseStrictAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (net.isIPv4(text)) return ipaddr.IPv4.parse(text);
  if (text.includes('%') || !net.isIPv6(text)) return undefined;
  const quad = EMBEDDED_IPV4.exec(text);
  if (!quad) return ipaddr.IPv6.parse(text);
  const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
  const hex = `${text.slice(0, quad.index)}:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  const address = ipaddr.IPv6.parse(hex);
  const parts = address.parts;
  if (parts.slice(0, 6).every((part) => part === 0)) return undefined; // ::a.b.c.d, IPv4-compatible
  return address;
}

// Entries repeat (every link-token create validates the same few): parsed ones are remembered.
const MAX_REMEMBERED = 10_000;
const parsedEntries = new Map<string, Range>();

/** One entry as a range, or undefined when it is not a valid address or CIDR block. */
export function parseAccessListEntry(entry: string): Range | undefined {
  const remembered = parsedEntries.get(entry);
  if (remembered) return remembered;
  const range = parseEntry(entry);
  if (range && parsedEntries.size < MAX_REMEMBERED) parsedEntries.set(entry, range);
  return range;
}

function parseEntry(entry: string): Range | undefined {
  if (typeof entry !== 'string' || entry.length === 0 || entry.length > 64 || entry.trim() !== entry) return undefined;
  const slash = entry.indexOf('/');
  if (slash === -1) {
    const address = parseStrictAddress(entry);
    return address && asIPv4WhenMapped([address, address.kind() === 'ipv4' ? 32 : 128]);
  }
  const address = parseStrictAddress(entry.slice(0, slash));
  const prefixText = entry.slice(slash + 1);
  if (!address || !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (address.kind() === 'ipv4' ? 32 : 128)) return undefined;
  return asIPv4WhenMapped([address, prefix]);
}

/**
 * An IPv4-mapped entry (`::ffff:1.2.3.4`, `::ffff:10.0.0.0/104`) is the IPv4 range it maps, as
 * client addresses are: a dual-stack socket reports IPv4 peers in that form, and people paste it.
 * Wider IPv6 ranges (`::/0`) stay IPv6 only: they do not let IPv4 in by the back door.
 */
function asIPv4WhenMapped(range: Range): Range {
  const [address, prefix] = range;
  if (address.kind() === 'ipv6' && prefix >= 96 && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return [(address as ipaddr.IPv6).toIPv4Address(), prefix - 96];
  }
  return range;
}

/** Validates entries (throwing a DomainError naming the first bad one) and compiles them. */
export function compileAccessList(entries: readonly string[]): AccessList {
  if (entries.length > MAX_ACCESS_LIST_ENTRIES) {
    throw new DomainError(
      'TOO_MANY_ACCESS_LIST_ENTRIES',
      `at most ${MAX_ACCESS_LIST_ENTRIES} access list entries`,
      [MAX_ACCESS_LIST_ENTRIES],
    );
  }
  const ranges: Range[] = [];
  for (const entry of entries) {
    const range = parseAccessListEntry(entry);
    if (!range) throw new DomainError('INVALID_ACCESS_LIST_ENTRY', `invalid access list entry ${entry}`, [entry]);
    ranges.push(range);
  }
  return { entries: [...entries], ranges };
}

/**
 * A list as stored with a key or service account. Entries stored before the parser became strict
 * (`::ffff:127.0.0.01`) may no longer parse: each such entry admits no one, and the list still
 * counts as non-empty, so the key fails closed instead of opening to every address.
 */
export function compileStoredAccessList(entries: readonly string[]): AccessList {
  const ranges: Range[] = [];
  for (const entry of entries) {
    const range = parseAccessListEntry(entry);
    if (range) ranges.push(range);
  }
  return { entries: [...entries], ranges };
}

/** Normalises a socket address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4. */
export function parseClientAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.process(address.split('%')[0]!);
  } catch {
    return undefined;
  }
}

/** An empty list admits every address; otherwise the address must fall in one of the ranges. */
export function accessListAllows(list: AccessList, clientAddress: string): boolean {
  if (list.entries.length === 0) return true;
  const address = parseClientAddress(clientAddress);
  if (!address) return false;
  for (const [base, prefix] of list.ranges) {
    if (base.kind() === address.kind() && address.match(base, prefix)) return true;
  }
  return false;
}
