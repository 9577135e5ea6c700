/**
 * IPv4 and IPv6 CIDR helpers for firewall evaluation and address allocation. Simulated instances and
 * probes use IPv4 only, but firewall rules may name IPv6 ranges (GCP accepts them; a rule holds IPv4
 * or IPv6 ranges, not both: https://cloud.google.com/firewall/docs/using-firewalls), and an IPv6
 * range never matches an IPv4 packet.
 */

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or undefined when it is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export interface Cidr {
  /** The network address (host bits cleared). */
  base: number;
  prefix: number;
  /** Number of addresses in the block. */
  size: number;
}

/** An IPv6 address (RFC 4291 text form, `::` shorthand, no embedded IPv4) as a 128-bit number. */
export function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) + BigInt(`0x${group}`);
  }
  return value;
}

/** Parses `a.b.c.d/n`; a bare address is a /32 (as GCP accepts in sourceRanges). */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText, ...rest] = text.trim().split('/');
  if (address === undefined || rest.length > 0) return undefined;
  const ip = parseIPv4(address);
  if (ip === undefined) return undefined;
  let prefix = 32;
  if (prefixText !== undefined) {
    if (!/^\d{1,2}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > 32) return undefined;
  }
  const size = 2 ** (32 - prefix);
  return { base: ip - (ip % size), prefix, size };
}

/** Parses `x:y::z/n`; a bare address is a /128. */
export function parseCidr6(text: string): { base: bigint; prefix: number } | undefined {
  const [address, prefixText, ...rest] = text.trim().split('/');
  if (address === undefined || rest.length > 0) return undefined;
  const ip = parseIPv6(address);
  if (ip === undefined) return undefined;
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (prefix > 128) return undefined;
  const size = 1n << BigInt(128 - prefix);
  return { base: ip - (ip % size), prefix };
}

/** An IPv4 (`35.191.0.0/16`) or IPv6 (`2600:2d00:1:b029::/64`) range. */
export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined || parseCidr6(text) !== undefined;
}

export function isIPv6Cidr(text: string): boolean {
  return parseCidr6(text) !== undefined;
}

/** Is the address inside the range? Address and range must be of one family to match. */
export function cidrContains(cidr: string, ip: string): boolean {
  const block = parseCidr(cidr);
  const address = parseIPv4(ip);
  if (block !== undefined && address !== undefined) {
    return address >= block.base && address < block.base + block.size;
  }
  const block6 = parseCidr6(cidr);
  const address6 = parseIPv6(ip);
  if (block6 === undefined || address6 === undefined) return false;
  const size = 1n << BigInt(128 - block6.prefix);
  return address6 >= block6.base && address6 < block6.base + size;
}

/** 127.0.0.0/8: the only addresses the simulator ever listens on or connects to. */
export function isLoopback(ip: string): boolean {
  return cidrContains('127.0.0.0/8', ip);
}

/**
 * One address for every part of an IPv4 block that the given ranges treat alike: the block is cut at
 * every edge of every range that overlaps it, and each piece gives its first address. Evaluating a
 * firewall at these addresses is exact for the whole block: a deny of one /24 inside a /16 is a piece
 * of its own, however small. (Probes come from anywhere in the probe ranges.)
 */
export function partitionAddresses(cidr: string, ranges: Iterable<string>): string[] {
  const block = parseCidr(cidr);
  if (block === undefined) return [];
  const end = block.base + block.size;
  const cuts = new Set<number>([block.base]);
  for (const range of ranges) {
    const r = parseCidr(range);
    if (r === undefined) continue;
    for (const edge of [r.base, r.base + r.size]) if (edge > block.base && edge < end) cuts.add(edge);
  }
  return [...cuts].sort((a, b) => a - b).map(formatIPv4);
}

/** A random host address inside a block (for probe and client source addresses in logs). */
export function randomAddress(cidr: string, random: () => number): string {
  const block = parseCidr(cidr);
  if (block === undefined) throw new Error(`not a CIDR: ${cidr}`);
  if (block.size <= 2) return formatIPv4(block.base);
  return formatIPv4(block.base + 1 + Math.floor(random() * (block.size - 2)));
}
