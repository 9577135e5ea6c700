/**
 * Firewall policies with the VPC firewall rules, pure: the verdict on an ingress packet in the order
 * Google documents (https://cloud.google.com/firewall/docs/firewall-policies-rule-eval-order):
 *  1. the hierarchical firewall policies, the organization's first, then each folder's;
 *  2. the VPC firewall rules and the network's global network firewall policy, in the order the
 *     network's `networkFirewallPolicyEnforcementOrder` says (`AFTER_CLASSIC_FIREWALL`, the default:
 *     VPC rules first; `BEFORE_CLASSIC_FIREWALL`: the policy first);
 *  3. the implied rule: ingress denied.
 * In a policy the matching rule with the lowest priority decides: `allow` and `deny` end the
 * evaluation, `goto_next` (or no matching rule) hands it to the next step
 * (https://cloud.google.com/firewall/docs/firewall-policies-rule-details). Secure tags are not read.
 * The policies are seen through `networks.getEffectiveFirewalls`: lbmedic never edits them.
 */
import type { FirewallPolicyFacts, PolicyRuleFacts } from './evidence';
import {
  cidrContains,
  cidrRange,
  type FirewallRule,
  type FirewallTarget,
  ingressVerdict,
  networkName,
  PROBE_RANGES,
} from './firewall';

/** The deciding rule: a VPC rule (or the implied deny), or a policy's rule. */
export interface EffectiveVerdict {
  allowed: boolean;
  /** The VPC rule's name, `implied-deny-ingress`, or `<policy> priority <n>`. */
  rule: string;
  /** Set when a firewall policy's rule decided. */
  policy?: { name: string; type: 'HIERARCHY' | 'NETWORK'; priority: number; action: string };
}

function overlaps(a: string, b: string): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return x !== undefined && y !== undefined && x[0] <= y[1] && y[0] <= x[1];
}

function portIn(spec: string, port: number): boolean {
  const [lo, hi] = spec.split('-').map(Number);
  if (lo === undefined || Number.isNaN(lo)) return false;
  return hi === undefined ? port === lo : lo <= port && port <= hi;
}

/** Does `rule` match tcp `port` from every address of `sourceCidr` (an allow) or any (a deny)? */
function matches(rule: PolicyRuleFacts, target: FirewallTarget, sourceCidr: string, port: number): boolean {
  if (rule.disabled || rule.direction !== 'INGRESS') return false;
  if (
    rule.targetServiceAccounts?.length &&
    !rule.targetServiceAccounts.some((s) => target.serviceAccounts.includes(s))
  )
    return false;
  if (
    rule.targetResources?.length &&
    !rule.targetResources.some((n) => networkName(n) === networkName(target.network))
  )
    return false;
  const ranges = rule.srcIpRanges ?? [];
  const fromRange =
    rule.action === 'allow'
      ? ranges.some((r) => cidrContains(r, sourceCidr))
      : ranges.some((r) => overlaps(r, sourceCidr));
  if (!fromRange) return false;
  return rule.layer4Configs.some((l) => {
    const proto = l.ipProtocol.toLowerCase();
    if (proto !== 'tcp' && proto !== 'all') return false;
    return !l.ports?.length || l.ports.some((p) => portIn(p, port));
  });
}

/** A policy's step: its deciding rule, or undefined to go on (`goto_next` or no match). */
function policyStep(
  policy: FirewallPolicyFacts['policies'][number],
  target: FirewallTarget,
  sourceCidr: string,
  port: number,
): EffectiveVerdict | undefined {
  const rule = policy.rules
    .filter((r) => matches(r, target, sourceCidr, port))
    .sort((a, b) => a.priority - b.priority)[0];
  if (!rule || rule.action === 'goto_next') return undefined;
  return {
    allowed: rule.action === 'allow',
    rule: `${policy.name} priority ${rule.priority}`,
    policy: { name: policy.name, type: policy.type, priority: rule.priority, action: rule.action },
  };
}

/** The VPC rules' step: their verdict, or undefined when none matches. */
function vpcStep(rules: FirewallRule[], target: FirewallTarget, sourceCidr: string, port: number) {
  const v = ingressVerdict(rules, target, sourceCidr, port);
  return v.rule === 'implied-deny-ingress' ? undefined : v;
}

/**
 * The verdict for traffic from every address of `sourceCidr` to `target` on tcp `port`, the
 * network's firewall policies (when read) evaluated with its VPC rules in GCP's order.
 */
export function effectiveVerdict(
  rules: FirewallRule[],
  policies: FirewallPolicyFacts[] | undefined,
  target: FirewallTarget,
  sourceCidr: string,
  port: number,
): EffectiveVerdict {
  const net = policies?.find((p) => networkName(p.network) === networkName(target.network));
  const hierarchy = net?.policies.filter((p) => p.type === 'HIERARCHY') ?? [];
  const network = net?.policies.find((p) => p.type === 'NETWORK');
  for (const p of hierarchy) {
    const v = policyStep(p, target, sourceCidr, port);
    if (v) return v;
  }
  const vpc = () => vpcStep(rules, target, sourceCidr, port);
  const pol = () => (network ? policyStep(network, target, sourceCidr, port) : undefined);
  const order = net?.enforcementOrder === 'BEFORE_CLASSIC_FIREWALL' ? [pol, vpc] : [vpc, pol];
  for (const step of order) {
    const v = step();
    if (v) return v;
  }
  return { allowed: false, rule: 'implied-deny-ingress' };
}

/** Verdict per probe range for health-check probes to `port` on `target`, policies included. */
export function effectiveProbeVerdicts(
  rules: FirewallRule[],
  policies: FirewallPolicyFacts[] | undefined,
  target: FirewallTarget,
  port: number,
): { range: string; verdict: EffectiveVerdict }[] {
  return PROBE_RANGES.map((range) => ({
    range,
    verdict: effectiveVerdict(rules, policies, target, range, port),
  }));
}
