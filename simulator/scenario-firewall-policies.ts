/**
 * The scenario file's networks and firewall policies (scenarios/README.md, "Networks and firewall
 * policies"): their zod schemas, the rules GCP enforces on them, and how they become the project's
 * `networks`, `firewallPolicies` and `hierarchicalFirewallPolicies` (firewall-policy.ts).
 */
import { z } from 'zod';
import type { FirewallPolicy, Network, PolicyRule } from './firewall-policy';
import { DEFAULT_RULE_PRIORITIES, defaultPolicyRules, policyFingerprint } from './firewall-policy';
import { isCidr, isIPv6Cidr } from './ip';
import { networkLink } from './urls';

const Name = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a GCP resource name (a-z, 0-9, -)');
const Range = z
  .string()
  .refine(isCidr, 'must be a CIDR range such as 35.191.0.0/16 or 2600:2d00:1:b029::/64');
const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', '6', '17', '132'];

const PolicyRuleSpec = z.strictObject({
  /** Unique in its policy; lower is evaluated first. */
  priority: z
    .number()
    .int()
    .min(0)
    .max(DEFAULT_RULE_PRIORITIES[0] - 1, 'priorities 2147483644-2147483647 hold the default rules'),
  action: z.enum(['allow', 'deny', 'goto_next']),
  direction: z.enum(['INGRESS', 'EGRESS']).default('INGRESS'),
  description: z.string().default(''),
  ruleName: z.string().optional(),
  disabled: z.boolean().default(false),
  enableLogging: z.boolean().default(false),
  srcIpRanges: z.array(Range).optional(),
  destIpRanges: z.array(Range).optional(),
  layer4Configs: z
    .array(
      z.strictObject({
        ipProtocol: z.string().min(1),
        ports: z.array(z.union([z.number().int().transform(String), z.string()])).optional(),
      }),
    )
    .min(1, 'a rule needs at least one layer4Configs entry, e.g. { ipProtocol: tcp, ports: ["80"] }'),
  targetServiceAccounts: z.array(z.string().min(1)).optional(),
  /** Hierarchical policies only: the networks (by name) the rule applies to. */
  targetResources: z.array(Name).optional(),
});

const NetworkSpec = z.strictObject({
  name: Name,
  description: z.string().optional(),
  autoCreateSubnetworks: z.boolean().optional(),
  networkFirewallPolicyEnforcementOrder: z
    .enum(['AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL'])
    .default('AFTER_CLASSIC_FIREWALL'),
});

const NetworkPolicySpec = z.strictObject({
  name: Name,
  description: z.string().default(''),
  /** The networks (by name) the policy is associated with. */
  networks: z.array(Name).default([]),
  rules: z.array(PolicyRuleSpec).default([]),
});

const HierarchicalPolicySpec = z.strictObject({
  shortName: Name,
  /** The policy's numeric id, which GCP uses as its name; derived when omitted. */
  id: z
    .string()
    .regex(/^\d{6,19}$/)
    .optional(),
  description: z.string().default(''),
  /** Where it is attached: `organizations/N` or `folders/N`. */
  parent: z.string().regex(/^(organizations|folders)\/\d+$/, 'must be organizations/N or folders/N'),
  rules: z.array(PolicyRuleSpec).default([]),
});

/** The scenario fields this module owns (spread into the scenario's shape). */
export const networkingFields = {
  /** VPC networks; by default the scenario's network and every network a resource names. */
  networks: z.array(NetworkSpec).optional(),
  /** Global network firewall policies. */
  firewallPolicies: z.array(NetworkPolicySpec).default([]),
  /** Hierarchical firewall policies, in evaluation order: the organization's, then folders down to the project. */
  hierarchicalFirewallPolicies: z.array(HierarchicalPolicySpec).default([]),
};

type RuleSpec = z.output<typeof PolicyRuleSpec>;

/** What the checks and the build read of a scenario. */
export interface NetworkingScenario {
  network: string;
  networks?: z.output<typeof NetworkSpec>[];
  firewallPolicies: z.output<typeof NetworkPolicySpec>[];
  hierarchicalFirewallPolicies: z.output<typeof HierarchicalPolicySpec>[];
  firewalls: { network?: string | undefined }[];
  instanceGroups: { network?: string | undefined }[];
  networkEndpointGroups: { network?: string | undefined }[];
  subnetworks: { network?: string | undefined }[];
  worker: { network?: string | undefined };
}

/** The networks of a scenario: the listed ones, or the scenario's network and every one named. */
export function scenarioNetworks(s: NetworkingScenario): z.output<typeof NetworkSpec>[] {
  if (s.networks !== undefined) return s.networks;
  const named = [
    s.network,
    ...[...s.firewalls, ...s.instanceGroups, ...s.networkEndpointGroups, ...s.subnetworks, s.worker].map(
      (r) => r.network,
    ),
  ];
  return [...new Set(named.filter((n): n is string => n !== undefined))].map((name) => ({
    name,
    networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL' as const,
  }));
}

type Issue = (path: (string | number)[], message: string) => void;

function checkRules(rules: RuleSpec[], path: (string | number)[], hierarchical: boolean, issue: Issue): void {
  const seen = new Set<number>();
  rules.forEach((rule, i) => {
    const at = [...path, 'rules', i];
    if (seen.has(rule.priority))
      issue([...at, 'priority'], `duplicate priority ${rule.priority} in the policy`);
    seen.add(rule.priority);
    const ranges = [...(rule.srcIpRanges ?? []), ...(rule.destIpRanges ?? [])];
    if (ranges.some(isIPv6Cidr) && !ranges.every(isIPv6Cidr))
      issue(at, 'a rule holds IPv4 or IPv6 ranges, not both');
    if (rule.direction === 'INGRESS' && (rule.srcIpRanges ?? []).length === 0)
      issue([...at, 'srcIpRanges'], 'an ingress rule needs srcIpRanges');
    if (rule.direction === 'EGRESS' && (rule.destIpRanges ?? []).length === 0)
      issue([...at, 'destIpRanges'], 'an egress rule needs destIpRanges');
    rule.layer4Configs.forEach((l4, j) => {
      if ((l4.ports ?? []).length > 0 && !PORT_PROTOCOLS.includes(l4.ipProtocol.toLowerCase()))
        issue([...at, 'layer4Configs', j, 'ports'], 'ports can only be given for tcp, udp and sctp');
    });
    if (!hierarchical && rule.targetResources !== undefined)
      issue([...at, 'targetResources'], 'targetResources are for hierarchical policies only');
  });
}

/** The rules GCP enforces on networks and policies, as scenario issues. */
export function checkNetworking(s: NetworkingScenario, issue: Issue): void {
  const networks = new Set(scenarioNetworks(s).map((n) => n.name));
  if (s.networks !== undefined) {
    const named: [string | undefined, (string | number)[]][] = [
      [s.network, ['network']],
      ...s.firewalls.map((r, i): [string | undefined, (string | number)[]] => [
        r.network,
        ['firewalls', i, 'network'],
      ]),
      ...s.instanceGroups.map((r, i): [string | undefined, (string | number)[]] => [
        r.network,
        ['instanceGroups', i, 'network'],
      ]),
      ...s.networkEndpointGroups.map((r, i): [string | undefined, (string | number)[]] => [
        r.network,
        ['networkEndpointGroups', i, 'network'],
      ]),
      ...s.subnetworks.map((r, i): [string | undefined, (string | number)[]] => [
        r.network,
        ['subnetworks', i, 'network'],
      ]),
      [s.worker.network, ['worker', 'network']],
    ];
    for (const [name, path] of named) {
      if (name !== undefined && !networks.has(name)) issue(path, `no network named "${name}" in networks`);
    }
  }
  const associated = new Map<string, string>();
  s.firewallPolicies.forEach((policy, p) => {
    checkRules(policy.rules, ['firewallPolicies', p], false, issue);
    policy.networks.forEach((network, n) => {
      const path = ['firewallPolicies', p, 'networks', n];
      if (!networks.has(network)) issue(path, `no network named "${network}"`);
      const other = associated.get(network);
      if (other !== undefined)
        issue(path, `network "${network}" is already associated with firewall policy "${other}"`);
      associated.set(network, policy.name);
    });
  });
  s.hierarchicalFirewallPolicies.forEach((policy, p) => {
    checkRules(policy.rules, ['hierarchicalFirewallPolicies', p], true, issue);
    if (p > 0 && policy.parent.startsWith('organizations/'))
      issue(['hierarchicalFirewallPolicies', p, 'parent'], "only the first policy can be the organization's");
  });
}

function policyRule(spec: RuleSpec, project: string): PolicyRule {
  return {
    priority: spec.priority,
    action: spec.action,
    direction: spec.direction,
    description: spec.description,
    ...(spec.ruleName === undefined ? {} : { ruleName: spec.ruleName }),
    disabled: spec.disabled,
    enableLogging: spec.enableLogging,
    match: {
      ...(spec.srcIpRanges === undefined ? {} : { srcIpRanges: spec.srcIpRanges }),
      ...(spec.destIpRanges === undefined ? {} : { destIpRanges: spec.destIpRanges }),
      layer4Configs: spec.layer4Configs.map((l4) => ({
        ipProtocol: l4.ipProtocol.toLowerCase(),
        ...(l4.ports === undefined ? {} : { ports: l4.ports }),
      })),
    },
    ...(spec.targetServiceAccounts === undefined
      ? {}
      : { targetServiceAccounts: spec.targetServiceAccounts }),
    ...(spec.targetResources === undefined
      ? {}
      : { targetResources: spec.targetResources.map((n) => networkLink(project, n)) }),
  };
}

function policy(fields: Omit<FirewallPolicy, 'fingerprint'>): FirewallPolicy {
  return { ...fields, fingerprint: policyFingerprint(fields) };
}

/** The project's networks and firewall policies, built from a validated scenario. */
export function buildNetworking(
  s: NetworkingScenario,
  project: string,
  newId: () => string,
  created: string,
): {
  networks: Map<string, Network>;
  firewallPolicies: Map<string, FirewallPolicy>;
  hierarchicalFirewallPolicies: Map<string, FirewallPolicy>;
} {
  const networks = new Map<string, Network>();
  for (const spec of scenarioNetworks(s)) {
    networks.set(spec.name, {
      id: newId(),
      name: spec.name,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      autoCreateSubnetworks: spec.autoCreateSubnetworks ?? spec.name === 'default',
      networkFirewallPolicyEnforcementOrder: spec.networkFirewallPolicyEnforcementOrder,
      creationTimestamp: created,
    });
  }
  const firewallPolicies = new Map<string, FirewallPolicy>();
  for (const spec of s.firewallPolicies) {
    firewallPolicies.set(
      spec.name,
      policy({
        id: newId(),
        name: spec.name,
        description: spec.description,
        associations: spec.networks.map((n) => ({
          name: `${spec.name}-${n}`,
          attachmentTarget: networkLink(project, n),
        })),
        rules: [...spec.rules.map((r) => policyRule(r, project)), ...defaultPolicyRules()],
        creationTimestamp: created,
      }),
    );
  }
  const hierarchicalFirewallPolicies = new Map<string, FirewallPolicy>();
  for (const spec of s.hierarchicalFirewallPolicies) {
    const id = spec.id ?? newId();
    hierarchicalFirewallPolicies.set(
      id,
      policy({
        id,
        name: id,
        shortName: spec.shortName,
        description: spec.description,
        parent: spec.parent,
        associations: [
          { name: `${spec.parent.replace('/', '-')}-${spec.shortName}`, attachmentTarget: spec.parent },
        ],
        rules: [...spec.rules.map((r) => policyRule(r, project)), ...defaultPolicyRules()],
        creationTimestamp: created,
      }),
    );
  }
  return { networks, firewallPolicies, hierarchicalFirewallPolicies };
}
