/**
 * VPC networks and firewall policies as Compute shows them: global network firewall policies
 * (`networkFirewallPolicies`, associated with networks) and hierarchical firewall policies (attached
 * to the organization or a folder above the project, read-only here and seen only through
 * `networks.getEffectiveFirewalls`). How they are evaluated with the VPC firewall rules is in
 * firewall.ts; the routes are in routes-firewall-policies.ts.
 *
 * Facts (docs/simulator.md, "Firewall policies", has the sources):
 * - a rule has a unique `priority` (0–2147483647, lower first) that is its identity, an `action`
 *   (`allow`, `deny`, `goto_next`), a `direction`, a `match` (`srcIpRanges`, `destIpRanges`,
 *   `layer4Configs`) and targets (`targetServiceAccounts`; `targetResources` = networks, for
 *   hierarchical policies; `targetSecureTags` are not modelled);
 * - every new policy holds four default `goto_next` rules (priorities 2147483644–2147483647: egress
 *   and ingress, IPv6 and IPv4), so traffic no rule of the policy decides goes on to the next step;
 * - a network has `networkFirewallPolicyEnforcementOrder` `AFTER_CLASSIC_FIREWALL` (default) or
 *   `BEFORE_CLASSIC_FIREWALL`.
 */
import { createHash } from 'node:crypto';
import { COMPUTE_BASE } from './model';
import { networkLink } from './urls';

export type EnforcementOrder = 'AFTER_CLASSIC_FIREWALL' | 'BEFORE_CLASSIC_FIREWALL';

export interface Network {
  id: string;
  name: string;
  description?: string;
  autoCreateSubnetworks: boolean;
  networkFirewallPolicyEnforcementOrder: EnforcementOrder;
  creationTimestamp: string;
}

export type PolicyAction = 'allow' | 'deny' | 'goto_next';

export interface Layer4Config {
  ipProtocol: string;
  ports?: string[];
}

export interface PolicyRule {
  priority: number;
  action: PolicyAction;
  direction: 'INGRESS' | 'EGRESS';
  description: string;
  ruleName?: string;
  disabled: boolean;
  enableLogging: boolean;
  match: { srcIpRanges?: string[]; destIpRanges?: string[]; layer4Configs: Layer4Config[] };
  targetServiceAccounts?: string[];
  /** Network URLs (hierarchical policies only): the rule applies to these networks alone. */
  targetResources?: string[];
}

export interface PolicyAssociation {
  name: string;
  /** The network's full URL. */
  attachmentTarget: string;
}

export interface FirewallPolicy {
  id: string;
  /** Network policies: their name. Hierarchical policies: their numeric id (GCP names them so). */
  name: string;
  /** Hierarchical policies: the short name a person gave it. */
  shortName?: string;
  description: string;
  /** Hierarchical policies: `organizations/N` or `folders/N`. */
  parent?: string;
  associations: PolicyAssociation[];
  rules: PolicyRule[];
  fingerprint: string;
  creationTimestamp: string;
}

export const DEFAULT_RULE_PRIORITIES = [2147483644, 2147483645, 2147483646, 2147483647] as const;

/** The four `goto_next` rules every new policy holds (GCP adds them; recorded in k8s-config-connector's mockgcp). */
export function defaultPolicyRules(): PolicyRule[] {
  const rule = (priority: number, direction: 'INGRESS' | 'EGRESS', v6: boolean): PolicyRule => {
    const any = v6 ? '::/0' : '0.0.0.0/0';
    return {
      priority,
      action: 'goto_next',
      direction,
      description: `default ${direction.toLowerCase()} rule${v6 ? ' ipv6' : ''}`,
      disabled: false,
      enableLogging: false,
      match: {
        ...(direction === 'INGRESS' ? { srcIpRanges: [any] } : { destIpRanges: [any] }),
        layer4Configs: [{ ipProtocol: 'all' }],
      },
    };
  };
  return [
    rule(2147483644, 'EGRESS', true),
    rule(2147483645, 'INGRESS', true),
    rule(2147483646, 'EGRESS', false),
    rule(2147483647, 'INGRESS', false),
  ];
}

/** A policy's rules in evaluation order (ascending priority). */
export function sortedRules(rules: readonly PolicyRule[]): PolicyRule[] {
  return [...rules].sort((a, b) => a.priority - b.priority);
}

/** A fingerprint derived from the policy's content (GCP's changes on every update). */
export function policyFingerprint(policy: Omit<FirewallPolicy, 'fingerprint'>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([policy.rules, policy.associations, policy.description]))
    .digest();
  return digest.subarray(0, 8).toString('base64');
}

// ---------------------------------------------------------------------------------------- wire

function defined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

const nonEmpty = (list?: string[]) => (list !== undefined && list.length > 0 ? [...list] : undefined);

export function policyRuleJson(rule: PolicyRule): Record<string, unknown> {
  return defined({
    kind: 'compute#firewallPolicyRule',
    description: rule.description,
    ruleName: rule.ruleName,
    priority: rule.priority,
    match: defined({
      srcIpRanges: nonEmpty(rule.match.srcIpRanges),
      destIpRanges: nonEmpty(rule.match.destIpRanges),
      layer4Configs: rule.match.layer4Configs.map((l4) =>
        defined({ ipProtocol: l4.ipProtocol, ports: nonEmpty(l4.ports) }),
      ),
    }),
    action: rule.action,
    direction: rule.direction,
    targetServiceAccounts: nonEmpty(rule.targetServiceAccounts),
    targetResources: nonEmpty(rule.targetResources),
    enableLogging: rule.enableLogging,
    // Output only: GCP's measure of a rule's size; every rule here is small.
    ruleTupleCount: rule.targetResources?.length ? 4 : 2,
    disabled: rule.disabled,
  });
}

function ruleTupleCount(policy: FirewallPolicy): number {
  return policy.rules.reduce((sum, r) => sum + (r.targetResources?.length ? 4 : 2), 0);
}

/** `networkFirewallPolicies.get`: a global network firewall policy. */
export function networkPolicyJson(project: string, policy: FirewallPolicy): Record<string, unknown> {
  const link = `${COMPUTE_BASE}/projects/${project}/global/firewallPolicies/${policy.name}`;
  return {
    kind: 'compute#firewallPolicy',
    id: policy.id,
    creationTimestamp: policy.creationTimestamp,
    name: policy.name,
    description: policy.description,
    rules: sortedRules(policy.rules).map(policyRuleJson),
    fingerprint: policy.fingerprint,
    selfLink: link,
    selfLinkWithId: `${COMPUTE_BASE}/projects/${project}/global/firewallPolicies/${policy.id}`,
    associations: policy.associations.map((a) => associationJson(policy, a)),
    ruleTupleCount: ruleTupleCount(policy),
  };
}

export function associationJson(policy: FirewallPolicy, a: PolicyAssociation): Record<string, unknown> {
  return { name: a.name, attachmentTarget: a.attachmentTarget, firewallPolicyId: policy.id };
}

export function networkJson(
  project: string,
  network: Network,
  policy: FirewallPolicy | undefined,
): Record<string, unknown> {
  const link = networkLink(project, network.name);
  return defined({
    kind: 'compute#network',
    id: network.id,
    creationTimestamp: network.creationTimestamp,
    name: network.name,
    description: network.description ?? '',
    selfLink: link,
    selfLinkWithId: `${COMPUTE_BASE}/projects/${project}/global/networks/${network.id}`,
    autoCreateSubnetworks: network.autoCreateSubnetworks,
    routingConfig: { routingMode: 'REGIONAL' },
    mtu: 1460,
    networkFirewallPolicyEnforcementOrder: network.networkFirewallPolicyEnforcementOrder,
    firewallPolicy: policy
      ? `${COMPUTE_BASE}/projects/${project}/global/firewallPolicies/${policy.name}`
      : undefined,
  });
}

/** An entry of `getEffectiveFirewalls`' `firewallPolicys` (sic: the API's spelling). */
export function effectivePolicyJson(
  policy: FirewallPolicy,
  type: 'HIERARCHY' | 'NETWORK',
): Record<string, unknown> {
  return defined({
    name: policy.name,
    shortName: policy.shortName,
    displayName: policy.shortName,
    type,
    rules: sortedRules(policy.rules).map(policyRuleJson),
  });
}

/** The network firewall policy associated with a network (GCP allows one per network). */
export function policyOfNetwork(
  policies: Iterable<FirewallPolicy>,
  project: string,
  network: string,
): FirewallPolicy | undefined {
  const link = networkLink(project, network);
  return [...policies].find((p) => p.associations.some((a) => a.attachmentTarget === link));
}

/** Summary lines of a project's networks and firewall policies (for the start banner). */
export function firewallPolicySummary(project: {
  networks: ReadonlyMap<string, Network>;
  firewallPolicies: ReadonlyMap<string, FirewallPolicy>;
  hierarchicalFirewallPolicies: ReadonlyMap<string, FirewallPolicy>;
}): string[] {
  const rules = (p: FirewallPolicy) =>
    sortedRules(p.rules)
      .filter((r) => !(DEFAULT_RULE_PRIORITIES as readonly number[]).includes(r.priority))
      .map((r) => {
        const l4 = r.match.layer4Configs.map(
          (c) => `${c.ipProtocol}${c.ports?.length ? `:${c.ports.join(',')}` : ''}`,
        );
        const from = (r.direction === 'INGRESS' ? r.match.srcIpRanges : r.match.destIpRanges) ?? [];
        return `    ${r.priority} ${r.direction} ${r.action} ${l4.join(' ')} ${r.direction === 'INGRESS' ? 'from' : 'to'} ${from.join(',')}${r.disabled ? ' (disabled)' : ''}`;
      });
  const lines: string[] = [];
  for (const n of project.networks.values()) {
    lines.push(`  network ${n.name}: ${n.networkFirewallPolicyEnforcementOrder}`);
  }
  for (const p of project.hierarchicalFirewallPolicies.values()) {
    lines.push(`  hierarchical firewall policy ${p.shortName ?? p.name} (${p.parent ?? ''})`, ...rules(p));
  }
  for (const p of project.firewallPolicies.values()) {
    const networks = p.associations.map((a) =>
      a.attachmentTarget.slice(a.attachmentTarget.lastIndexOf('/') + 1),
    );
    lines.push(`  network firewall policy ${p.name} on ${networks.join(', ') || 'no network'}`, ...rules(p));
  }
  return lines;
}
