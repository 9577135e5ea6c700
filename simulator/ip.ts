/** IPv4 and CIDR helpers for firewall evaluation and address allocation. IPv6 is not modelled. */

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

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const block = parseCidr(cidr);
  const address = parseIPv4(ip);
  if (block === undefined || address === undefined) return false;
  return address >= block.base && address < block.base + block.size;
}

/** 127.0.0.0/8: the only addresses the simulator ever listens on or connects to. */
export function isLoopback(ip: string): boolean {
  return cidrContains('127.0.0.0/8', ip);
}

/**
 * Representative source addresses of a block: its first and last host and one in the middle.
 * Probes come from anywhere in the probe ranges; a firewall that admits only part of a range
 * drops some of them, and sampling the edges and the middle catches the usual partial rules.
 */
export function sampleAddresses(cidr: string): string[] {
  const block = parseCidr(cidr);
  if (block === undefined) return [];
  if (block.size <= 2) return [formatIPv4(block.base)];
  const first = block.base + 1;
  const last = block.base + block.size - 2;
  return [...new Set([first, block.base + Math.floor(block.size / 2), last])].map(formatIPv4);
}

/** A random host address inside a block (for probe and client source addresses in logs). */
export function randomAddress(cidr: string, random: () => number): string {
  const block = parseCidr(cidr);
  if (block === undefined) throw new Error(`not a CIDR: ${cidr}`);
  if (block.size <= 2) return formatIPv4(block.base);
  return formatIPv4(block.base + 1 + Math.floor(random() * (block.size - 2)));
}
