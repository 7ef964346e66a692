import ipaddr from 'ipaddr.js';
import { DomainError } from './errors.js';

// API access lists: each entry is one IPv4/IPv6 address or a v4/v6 CIDR block, as Atlas's
// `UserAccessListRequest` allows. Parsed strictly (no octal or short IPv4 forms, no zone ids) so an
// entry means exactly what it looks like.

export const MAX_ACCESS_LIST_ENTRIES = 200;

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface AccessList {
  readonly entries: readonly string[];
  readonly ranges: readonly Range[];
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
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
    const address = parseAddress(entry);
    return address && asIPv4WhenMapped([address, address.kind() === 'ipv4' ? 32 : 128]);
  }
  const address = parseAddress(entry.slice(0, slash));
  const prefixText = entry.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(prefixText)) return undefined;
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
  if (list.ranges.length === 0) return true;
  const address = parseClientAddress(clientAddress);
  if (!address) return false;
  for (const [base, prefix] of list.ranges) {
    if (base.kind() === address.kind() && address.match(base, prefix)) return true;
  }
  return false;
}
