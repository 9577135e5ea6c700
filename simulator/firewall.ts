/**
 * Firewall semantics, pure: VPC firewall rules, network and hierarchical firewall policies, and the
 * order GCP evaluates them in (https://cloud.google.com/firewall/docs/firewall-policies-rule-eval-order):
 *
 * 1. hierarchical firewall policies, the organization's first, then each folder's down to the project;
 * 2. `AFTER_CLASSIC_FIREWALL` (the default): the VPC firewall rules, then the network's global network
 *    firewall policy; `BEFORE_CLASSIC_FIREWALL`: the policy first, then the VPC rules;
 * 3. the implied rules: ingress is denied.
 *
 * In a policy the matching rule of highest priority (lowest number) decides: `allow` and `deny` end the
 * evaluation, `goto_next` (and no match at all) go on to the next step
 * (https://cloud.google.com/firewall/docs/firewall-policies-rule-details#action-on-match). VPC rules
 * (gcp-facts §3): lower priority number wins; at equal priority DENY beats ALLOW; disabled rules do not
 * exist; a rule applies to its network only; no target tags or service accounts = every instance;
 * sourceRanges OR sourceTags/sourceServiceAccounts; an ingress rule with no source means 0.0.0.0/0;
 * empty `ports` = every port. No VPC rule matching goes on to the next step.
 */
import type { Firewall, FirewallPermission, Project } from './model';
import { PROBE_RANGES } from './model';
import type { FirewallPolicy, Network, PolicyRule } from './firewall-policy';
import { sortedRules } from './firewall-policy';
import { cidrContains, partitionAddresses } from './ip';
import { resourceName, sameResource } from './urls';

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

/** Where the deciding rule lives. */
export type FirewallLayer = 'hierarchical' | 'vpc' | 'network-policy' | 'implied';

export interface FirewallVerdict {
  allowed: boolean;
  /** The deciding rule: a VPC rule's name, `<policy> priority <n>` for a policy rule, or `implied-deny-ingress`. */
  rule: string;
  layer: FirewallLayer;
  /** For a policy rule: the policy's name (a hierarchical policy's short name when it has one) and the rule's priority. */
  policy?: string;
  priority?: number;
}

/**
 * Everything that decides a project's ingress: its VPC rules, networks (for their enforcement order)
 * and firewall policies. A bare list of VPC rules is evaluated as a network with no policies.
 */
export interface FirewallContext {
  firewalls: Iterable<Firewall>;
  networks: ReadonlyMap<string, Network>;
  /** Global network firewall policies; each applies to the networks it is associated with. */
  networkPolicies: Iterable<FirewallPolicy>;
  /** Hierarchical policies in evaluation order (organization first). */
  hierarchical: Iterable<FirewallPolicy>;
}

/** The firewall context of a project. */
export function firewallContext(project: Project): FirewallContext {
  return {
    firewalls: [...project.firewalls.values()],
    networks: project.networks,
    networkPolicies: [...project.firewallPolicies.values()],
    hierarchical: [...project.hierarchicalFirewallPolicies.values()],
  };
}

function contextOf(source: Iterable<Firewall> | FirewallContext): FirewallContext {
  if ('firewalls' in source) return source;
  return { firewalls: [...source], networks: new Map(), networkPolicies: [], hierarchical: [] };
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

type Decision = Omit<FirewallVerdict, 'layer'> | undefined;

/** The VPC rules' decision, or undefined when no rule matches (evaluation goes on). */
function vpcDecision(rules: Iterable<Firewall>, target: FirewallTarget, packet: IngressPacket): Decision {
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
  if (best === undefined) return undefined;
  // A user rule at 65535 ALLOW still ties with the implied deny, and DENY wins ties.
  if (best.rule.priority >= IMPLIED_PRIORITY && !best.deny)
    return { allowed: false, rule: IMPLIED_DENY_INGRESS };
  return { allowed: !best.deny, rule: best.rule.name };
}

function policyRuleApplies(rule: PolicyRule, target: FirewallTarget, packet: IngressPacket): boolean {
  if (rule.disabled || rule.direction !== 'INGRESS') return false;
  const resources = rule.targetResources ?? [];
  if (resources.length > 0 && !resources.some((n) => sameResource(n, target.network))) return false;
  const accounts = rule.targetServiceAccounts ?? [];
  if (accounts.length > 0 && !accounts.some((sa) => target.serviceAccounts.includes(sa))) return false;
  const destinations = rule.match.destIpRanges ?? [];
  const ip = target.ip;
  if (destinations.length > 0 && (ip === undefined || !destinations.some((r) => cidrContains(r, ip))))
    return false;
  if (!(rule.match.srcIpRanges ?? []).some((r) => cidrContains(r, packet.sourceIp))) return false;
  return rule.match.layer4Configs.some((l4) =>
    permissionMatches(
      { IPProtocol: l4.ipProtocol, ...(l4.ports ? { ports: l4.ports } : {}) },
      packet.protocol,
      packet.port,
    ),
  );
}

/** A policy's decision: its first matching rule's `allow` or `deny`; undefined for `goto_next` or no match. */
function policyDecision(policy: FirewallPolicy, target: FirewallTarget, packet: IngressPacket): Decision {
  const rule = sortedRules(policy.rules).find((r) => policyRuleApplies(r, target, packet));
  if (rule === undefined || rule.action === 'goto_next') return undefined;
  const name = policy.shortName ?? policy.name;
  return {
    allowed: rule.action === 'allow',
    rule: `${name} priority ${rule.priority}`,
    policy: name,
    priority: rule.priority,
  };
}

/** The verdict for one ingress packet, in GCP's evaluation order (see the top of this file). */
export function evaluateIngress(
  source: Iterable<Firewall> | FirewallContext,
  target: FirewallTarget,
  packet: IngressPacket,
): FirewallVerdict {
  const ctx = contextOf(source);
  for (const policy of ctx.hierarchical) {
    const decision = policyDecision(policy, target, packet);
    if (decision) return { ...decision, layer: 'hierarchical' };
  }
  const network = ctx.networks.get(resourceName(target.network));
  const attached = [...ctx.networkPolicies].filter((p) =>
    p.associations.some((a) => sameResource(a.attachmentTarget, target.network)),
  );
  const vpc = (): FirewallVerdict | undefined => {
    const decision = vpcDecision(ctx.firewalls, target, packet);
    return decision && { ...decision, layer: decision.rule === IMPLIED_DENY_INGRESS ? 'implied' : 'vpc' };
  };
  const policies = (): FirewallVerdict | undefined => {
    for (const policy of attached) {
      const decision = policyDecision(policy, target, packet);
      if (decision) return { ...decision, layer: 'network-policy' };
    }
    return undefined;
  };
  const steps =
    network?.networkFirewallPolicyEnforcementOrder === 'BEFORE_CLASSIC_FIREWALL'
      ? [policies, vpc]
      : [vpc, policies];
  for (const step of steps) {
    const verdict = step();
    if (verdict) return verdict;
  }
  return { allowed: false, rule: IMPLIED_DENY_INGRESS, layer: 'implied' };
}

/** Every source range any rule of the context names (where a probe range's verdict can change). */
function sourceRanges(ctx: FirewallContext): string[] {
  const policies = [...ctx.hierarchical, ...ctx.networkPolicies];
  return [
    ...[...ctx.firewalls].flatMap((fw) => fw.sourceRanges ?? []),
    ...policies.flatMap((p) => p.rules.flatMap((r) => r.match.srcIpRanges ?? [])),
  ];
}

export interface ProbeSourceVerdict extends FirewallVerdict {
  range: string;
  sourceIp: string;
}

export interface ProbeVerdict {
  /** True only when every address of every range is admitted. */
  allowed: boolean;
  /** The first rule that dropped some of the traffic, or the rule that admitted it. */
  rule: string;
  sources: ProbeSourceVerdict[];
}

/**
 * Is tcp:port admitted from every address of `ranges`? Traffic arrives from anywhere in the ranges,
 * so every part of them must be admitted: each range is cut at every rule's range edges and one
 * address of each piece is evaluated, so a rule that drops part of a range (one /24 of a /16) is seen.
 */
export function rangesVerdict(
  source: Iterable<Firewall> | FirewallContext,
  target: FirewallTarget,
  port: number,
  ranges: readonly string[],
): ProbeVerdict {
  const ctx = contextOf(source);
  const edges = sourceRanges(ctx);
  const sources: ProbeSourceVerdict[] = [];
  for (const range of ranges) {
    for (const sourceIp of partitionAddresses(range, edges)) {
      sources.push({
        range,
        sourceIp,
        ...evaluateIngress(ctx, target, { sourceIp, protocol: 'tcp', port }),
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

/** Are Google's health-check probes (from 35.191.0.0/16 AND 130.211.0.0/22) admitted to tcp:port? */
export function probeVerdict(
  source: Iterable<Firewall> | FirewallContext,
  target: FirewallTarget,
  port: number,
): ProbeVerdict {
  return rangesVerdict(source, target, port, PROBE_RANGES);
}
