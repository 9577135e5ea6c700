/**
 * VPC firewall semantics, pure. Facts (gcp-facts §3): lower priority number wins; at equal priority
 * DENY beats ALLOW; disabled rules do not exist; a rule applies to its network only; no target tags or
 * service accounts = every instance; sourceRanges OR sourceTags/sourceServiceAccounts; an ingress
 * rule with no source at all means 0.0.0.0/0; empty `ports` = every port; every VPC has an implied
 * deny-all-ingress at priority 65535 that is never listed.
 */
import type { Firewall, FirewallPermission } from './model';
import { PROBE_RANGES } from './model';
import { cidrContains, sampleAddresses } from './ip';
import { sameResource } from './urls';

export const IMPLIED_DENY_INGRESS = 'implied-deny-ingress';
const IMPLIED_PRIORITY = 65535;

/** The instance a packet is addressed to. */
export interface FirewallTarget {
  /** Network URL (full or partial). */
  network: string;
  tags: string[];
  serviceAccounts: string[];
  /** The destination address, checked against `destinationRanges` when a rule has them. */
  ip?: string;
}

export interface IngressPacket {
  sourceIp: string;
  /** `tcp`, `udp`, … or a protocol number. */
  protocol: string;
  port: number;
  /** When the source is a VM in the same network: its tags and service accounts (for sourceTags). */
  sourceInstance?: { tags: string[]; serviceAccounts: string[] };
}

export interface FirewallVerdict {
  allowed: boolean;
  /** The deciding rule's name, or `implied-deny-ingress`. */
  rule: string;
}

const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '132': 'sctp' };

function protocolName(protocol: string): string {
  const lower = protocol.toLowerCase();
  return PROTOCOL_NUMBERS[lower] ?? lower;
}

/** Does one `allowed`/`denied` entry cover this protocol and port? */
export function permissionMatches(permission: FirewallPermission, protocol: string, port: number): boolean {
  const ruleProtocol = protocolName(permission.IPProtocol);
  if (ruleProtocol !== 'all' && ruleProtocol !== protocolName(protocol)) return false;
  const ports = permission.ports ?? [];
  if (ports.length === 0) return true;
  return ports.some((spec) => portSpecMatches(spec, port));
}

/** `"8080"` or `"8000-9000"` (inclusive). */
export function portSpecMatches(spec: string, port: number): boolean {
  const [low, high, ...rest] = spec.trim().split('-');
  if (rest.length > 0 || low === undefined) return false;
  const from = Number(low);
  const to = high === undefined ? from : Number(high);
  if (!Number.isInteger(from) || !Number.isInteger(to)) return false;
  return port >= from && port <= to;
}

function appliesToTarget(rule: Firewall, target: FirewallTarget): boolean {
  if (!sameResource(rule.network, target.network)) return false;
  const tags = rule.targetTags ?? [];
  const accounts = rule.targetServiceAccounts ?? [];
  if (tags.length > 0 && !tags.some((tag) => target.tags.includes(tag))) return false;
  if (accounts.length > 0 && !accounts.some((sa) => target.serviceAccounts.includes(sa))) return false;
  const destinations = rule.destinationRanges ?? [];
  if (destinations.length > 0 && target.ip !== undefined) {
    const ip = target.ip;
    if (!destinations.some((range) => cidrContains(range, ip))) return false;
  }
  return true;
}

function matchesSource(rule: Firewall, packet: IngressPacket): boolean {
  const ranges = rule.sourceRanges ?? [];
  const tags = rule.sourceTags ?? [];
  const accounts = rule.sourceServiceAccounts ?? [];
  if (ranges.length === 0 && tags.length === 0 && accounts.length === 0) return true;
  if (ranges.some((range) => cidrContains(range, packet.sourceIp))) return true;
  const source = packet.sourceInstance;
  if (source === undefined) return false;
  return (
    tags.some((tag) => source.tags.includes(tag)) ||
    accounts.some((sa) => source.serviceAccounts.includes(sa))
  );
}

/** The verdict of the network's ingress rules for one packet. */
export function evaluateIngress(
  rules: Iterable<Firewall>,
  target: FirewallTarget,
  packet: IngressPacket,
): FirewallVerdict {
  let best: { rule: Firewall; deny: boolean } | undefined;
  for (const rule of rules) {
    if (rule.disabled || rule.direction !== 'INGRESS') continue;
    if (!appliesToTarget(rule, target) || !matchesSource(rule, packet)) continue;
    const deny = (rule.denied ?? []).some((p) => permissionMatches(p, packet.protocol, packet.port));
    const allow = (rule.allowed ?? []).some((p) => permissionMatches(p, packet.protocol, packet.port));
    if (!deny && !allow) continue;
    if (
      best === undefined ||
      rule.priority < best.rule.priority ||
      (rule.priority === best.rule.priority && deny && !best.deny)
    ) {
      best = { rule, deny };
    }
  }
  if (best === undefined || best.rule.priority >= IMPLIED_PRIORITY) {
    // A user rule at 65535 ALLOW still ties with the implied deny, and DENY wins ties.
    return best !== undefined && best.deny
      ? { allowed: false, rule: best.rule.name }
      : { allowed: false, rule: IMPLIED_DENY_INGRESS };
  }
  return { allowed: !best.deny, rule: best.rule.name };
}

export interface ProbeSourceVerdict extends FirewallVerdict {
  range: string;
  sourceIp: string;
}

export interface ProbeVerdict {
  /** True only when every probe range is admitted. */
  allowed: boolean;
  /** The first rule that dropped a probe, or the rule that admitted them. */
  rule: string;
  sources: ProbeSourceVerdict[];
}

/**
 * Are Google's health-check probes (from 35.191.0.0/16 AND 130.211.0.0/22) admitted to tcp:port?
 * Probes arrive from both ranges, so a rule set that admits only one leaves the backend failing.
 */
export function probeVerdict(rules: Iterable<Firewall>, target: FirewallTarget, port: number): ProbeVerdict {
  const list = [...rules];
  const sources: ProbeSourceVerdict[] = [];
  for (const range of PROBE_RANGES) {
    for (const sourceIp of sampleAddresses(range)) {
      sources.push({
        range,
        sourceIp,
        ...evaluateIngress(list, target, { sourceIp, protocol: 'tcp', port }),
      });
    }
  }
  const dropped = sources.find((source) => !source.allowed);
  return {
    allowed: dropped === undefined,
    rule: dropped?.rule ?? sources[0]?.rule ?? IMPLIED_DENY_INGRESS,
    sources,
  };
}
