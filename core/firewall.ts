/**
 * VPC firewall semantics, pure: does an ingress packet from a source IP to an instance's tcp port pass?
 * Lower priority number wins; at equal priority DENY beats ALLOW; disabled rules do not exist; a rule
 * with no target tags/service accounts applies to every instance of its network; the implied rule at
 * 65535 denies all ingress. (gcp-facts §3.)
 *
 * The simulator has its own implementation of the same rules (it may import nothing of the operator);
 * the two cross-check each other in the end-to-end tests.
 */
import { isLbmedicOwned } from './ownership';

export const PROBE_RANGES = ['35.191.0.0/16', '130.211.0.0/22'] as const;

/**
 * The ranges Google's health checks probe from, per load-balancing scheme of the backend service
 * (gcp-facts §2, FW-LB): the global and classic external ALBs, the regional and internal ALBs and the
 * internal passthrough load balancer are all probed from 35.191.0.0/16 and 130.211.0.0/22. (The
 * regional and internal ALBs' data traffic also comes from their proxy-only subnet, which is not a
 * health-check range; target-pool NLBs have no backend service.)
 */
const PROBE_RANGES_BY_SCHEME: Record<string, readonly string[]> = {
  EXTERNAL: PROBE_RANGES,
  EXTERNAL_MANAGED: PROBE_RANGES,
  INTERNAL_MANAGED: PROBE_RANGES,
  INTERNAL_SELF_MANAGED: PROBE_RANGES,
  INTERNAL: PROBE_RANGES,
};

/** The probe ranges a load balancer of this scheme needs admitted; undefined for a scheme lbmedic does not know. */
export function probeRangesFor(loadBalancingScheme: string): readonly string[] | undefined {
  return PROBE_RANGES_BY_SCHEME[loadBalancingScheme || 'EXTERNAL'];
}

export interface FirewallPermission {
  IPProtocol: string;
  ports?: string[];
}

export interface FirewallRule {
  name: string;
  network: string;
  direction: string;
  priority: number;
  sourceRanges?: string[];
  sourceTags?: string[];
  sourceServiceAccounts?: string[];
  targetTags?: string[];
  targetServiceAccounts?: string[];
  allowed?: FirewallPermission[];
  denied?: FirewallPermission[];
  disabled?: boolean;
  description?: string;
}

export interface FirewallTarget {
  network: string;
  tags: string[];
  serviceAccounts: string[];
}

export interface FirewallVerdict {
  allowed: boolean;
  /** The deciding rule's name, or `implied-deny-ingress`. */
  rule: string;
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** Parses `a.b.c.d/len` (or a bare address as /32) into [first, last] as unsigned ints. */
export function cidrRange(cidr: string): [number, number] | undefined {
  const [addr, lenText] = cidr.split('/');
  const base = ipToInt(addr ?? '');
  const len = lenText === undefined ? 32 : Number(lenText);
  if (base === undefined || !Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const size = 2 ** (32 - len);
  const first = Math.floor(base / size) * size;
  return [first, first + size - 1];
}

/** True when every address of `inner` lies inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = cidrRange(outer);
  const i = cidrRange(inner);
  return o !== undefined && i !== undefined && o[0] <= i[0] && i[1] <= o[1];
}

/** Last path segment of a network URL, so full and partial URLs compare equal. */
export function networkName(network: string): string {
  return network.split('/').filter(Boolean).pop() ?? network;
}

function portMatches(spec: string, port: number): boolean {
  const [lo, hi] = spec.split('-').map(Number);
  if (lo === undefined || Number.isNaN(lo)) return false;
  return hi === undefined ? port === lo : lo <= port && port <= (Number.isNaN(hi) ? lo : hi);
}

function permits(perms: FirewallPermission[] | undefined, port: number): boolean {
  return (perms ?? []).some((p) => {
    const proto = p.IPProtocol.toLowerCase();
    if (proto !== 'tcp' && proto !== 'all' && proto !== '6') return false;
    return !p.ports || p.ports.length === 0 || p.ports.some((s) => portMatches(s, port));
  });
}

function appliesTo(rule: FirewallRule, target: FirewallTarget): boolean {
  if (rule.disabled) return false;
  if ((rule.direction || 'INGRESS') !== 'INGRESS') return false;
  if (networkName(rule.network) !== networkName(target.network)) return false;
  if (rule.targetTags?.length) return rule.targetTags.some((t) => target.tags.includes(t));
  if (rule.targetServiceAccounts?.length)
    return rule.targetServiceAccounts.some((s) => target.serviceAccounts.includes(s));
  return true;
}

function overlaps(a: string, b: string): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return x !== undefined && y !== undefined && x[0] <= y[1] && y[0] <= x[1];
}

/**
 * Source ranges only: probes come from outside the VPC, so source tags/service accounts never match
 * them. An allow rule must cover the whole range; a deny rule counts as soon as it blocks part of it.
 */
function sourceMatches(rule: FirewallRule, sourceCidr: string): boolean {
  const ranges = rule.sourceRanges ?? [];
  return rule.denied?.length
    ? ranges.some((r) => overlaps(r, sourceCidr))
    : ranges.some((r) => cidrContains(r, sourceCidr));
}

/**
 * The verdict for traffic from every address of `sourceCidr` to `target` on tcp `port`: allowed means
 * every prober in the range is admitted.
 */
export function ingressVerdict(
  rules: FirewallRule[],
  target: FirewallTarget,
  sourceCidr: string,
  port: number,
): FirewallVerdict {
  const matching = rules
    .filter((r) => appliesTo(r, target) && sourceMatches(r, sourceCidr))
    .filter((r) => (r.denied?.length ? permits(r.denied, port) : permits(r.allowed, port)))
    .sort(
      (a, b) =>
        a.priority - b.priority || Number(Boolean(b.denied?.length)) - Number(Boolean(a.denied?.length)),
    );
  const winner = matching[0];
  if (!winner) return { allowed: false, rule: 'implied-deny-ingress' };
  return { allowed: !winner.denied?.length, rule: winner.name };
}

/** Verdict per probe range for health-check probes to `port` on `target`. */
export function probeVerdicts(
  rules: FirewallRule[],
  target: FirewallTarget,
  port: number,
): { range: string; verdict: FirewallVerdict }[] {
  return PROBE_RANGES.map((range) => ({ range, verdict: ingressVerdict(rules, target, range, port) }));
}

/**
 * Why lbmedic must not patch `rule`, or undefined when it may: only its own rules, and only when they
 * admit nothing but Google's probe ranges to instances picked by target tags or service accounts.
 * Patching any other rule would widen access for whatever else it covers, or borrow a rule someone
 * else relies on (DESIGN: do no harm).
 */
export function patchRefusal(rule: FirewallRule): string | undefined {
  if (!isLbmedicOwned(rule)) return `${rule.name} is not lbmedic's own rule`;
  const outside = (rule.sourceRanges ?? []).filter((r) => !PROBE_RANGES.some((p) => cidrContains(p, r)));
  if (outside.length > 0) return `${rule.name} admits ${outside.join(', ')}, outside Google's probe ranges`;
  if ((rule.sourceTags ?? []).length > 0 || (rule.sourceServiceAccounts ?? []).length > 0)
    return `${rule.name} admits sources by tag or service account`;
  if (!rule.targetTags?.length && !rule.targetServiceAccounts?.length)
    return `${rule.name} has no target tags or service accounts: it applies to every instance of its network`;
  return undefined;
}

/** Does `rule` apply to an instance like `target` (network, target tags or service accounts)? */
export function ruleAppliesTo(rule: FirewallRule, target: FirewallTarget): boolean {
  return appliesTo(rule, target);
}
