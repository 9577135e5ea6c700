/**
 * Root cause 2: no firewall rule admits Google's probe ranges to the port the health check probes.
 * Proven from the rules alone (VPC firewall semantics in ../firewall.ts), for the port the health
 * check will probe once the health-check and named-port fixes found before it are made.
 *
 * Fixed through a rule lbmedic owns, never by borrowing or widening someone else's: it inserts a
 * dedicated rule that admits exactly the probe ranges the load balancer's type needs, to exactly that
 * port, on the narrowest target tags or service accounts that cover the blocked instances
 * (../impact.ts `narrowestTargets`). Only its own narrow rule of the same name is ever patched. A deny
 * rule that shadows the probes is overridden only when the policy says so; otherwise escalated.
 */
import { z } from 'zod';
import type { FirewallPermission, FirewallRule } from '../firewall';
import { networkName, patchRefusal, PROBE_RANGES, probeRangesFor } from '../firewall';
import { effectiveProbeVerdicts } from '../firewall-policy';
import { candidateReasons } from './firewall-candidates';
import { narrowestTargets } from '../impact';
import { LBMEDIC_MARK, OWNED_NAME_PREFIX, resourceName, shortHash } from '../ownership';
import type { AnyFinding, Detection, FindingOf, PlanContext, Proposal, ProposedStep } from './cause';
import { defineCause, FromDiagnosis, fromDiagnosis, Port, remedy } from './cause';
import type { Facts } from './facts';
import { healthCheckMismatch } from './health-check-mismatch';
import { namedPortMismatch } from './named-port-mismatch';

const ID = 'FIREWALL_BLOCKS_PROBES';

export const FirewallFix = z.object({
  cause: z.literal(ID),
  network: z.string(),
  port: z.number(),
  targetTags: z.array(z.string()),
  blockedRanges: z.array(z.string()),
  /** Deny rules that win over an allow: an inserted allow must have a lower priority number. */
  blockingRules: z.array(z.object({ name: z.string(), priority: z.number() })),
  /** The blocked instances: the rule's targets are chosen to cover exactly these. */
  instances: z
    .array(
      z.object({
        name: z.string(),
        zone: z.string(),
        tags: z.array(z.string()),
        serviceAccounts: z.array(z.string()),
      }),
    )
    .default([]),
  /**
   * Firewall policy rules that drop the probes (hierarchical or the network's policy): lbmedic never
   * edits a policy, so such a finding is escalated with the rule and the change to make.
   */
  policyRules: z
    .array(
      z.object({
        policy: z.string(),
        type: z.enum(['HIERARCHY', 'NETWORK']),
        priority: z.number(),
        action: z.string(),
      }),
    )
    .optional(),
  /** Disabled VPC rules that would admit the probes: enabled, not duplicated. */
  disabledRules: z.array(z.string()).optional(),
});
export type FirewallFix = z.infer<typeof FirewallFix>;
type FirewallFinding = FindingOf<typeof ID, FirewallFix>;

/** Policy action: admit the probe ranges to the port the health check probes. */
export const AllowProbesInFirewall = z.strictObject({
  type: z.literal('allowProbesInFirewall'),
  port: z.union([FromDiagnosis, Port]).default('fromDiagnosis'),
  /** Priority of an inserted rule. */
  priority: z.number().int().min(0).max(65534).default(1000),
  /**
   * A deny rule that wins over the probes: `false` escalates; `true` gives the inserted rule a priority
   * number one below the deny's, so the allow wins for the probe ranges and port only.
   */
  overrideDeny: z.boolean().default(false),
  /**
   * Name prefix of an inserted rule; network, port and targets complete it (deterministic, idempotent).
   * It starts with lbmedic-: the IAM condition (deploy/) lets lbmedic write only rules named so.
   */
  namePrefix: z
    .string()
    .regex(/^[a-z]([-a-z0-9]{0,39})$/, 'expected a lowercase name prefix (letters, digits, dashes)')
    .startsWith(OWNED_NAME_PREFIX, {
      message: `must start with ${OWNED_NAME_PREFIX}: lbmedic may write only the firewall rules it owns (deploy/lbmedic-firewall-condition.yaml)`,
    })
    .default('lbmedic-allow-health-checks'),
});
export type AllowProbesInFirewall = z.infer<typeof AllowProbesInFirewall>;

/** The port the health check will probe once the fixes found before this cause are made. */
function portAfterFixes(facts: Facts, before: readonly AnyFinding[]): number | undefined {
  const followsNamedPort = facts.healthCheck?.portSpecification === 'USE_SERVING_PORT';
  return (
    healthCheckMismatch.fixIn(before)?.port ??
    (followsNamedPort ? namedPortMismatch.fixIn(before)?.port : undefined) ??
    facts.healthCheckPort
  );
}

/** The VMs the probes must reach: the instance groups' and the zonal NEG endpoints'. */
const probedInstances = (facts: Facts) => [
  ...(facts.groups ?? []).flatMap((g) => g.instances),
  ...facts.negEndpoints.map((e) => e.instance),
];

function finding(facts: Facts, rules: FirewallRule[], port: number): FirewallFinding | undefined {
  const instances = probedInstances(facts);
  const blocked = instances
    .map((inst) => ({
      inst,
      verdicts: effectiveProbeVerdicts(rules, facts.firewallPolicies, inst, port).filter(
        (v) => !v.verdict.allowed,
      ),
    }))
    .filter((x) => x.verdicts.length > 0);
  if (blocked.length === 0) return undefined;
  const blockedRanges = [...new Set(blocked.flatMap((b) => b.verdicts.map((v) => v.range)))].sort();
  const blockingNames = new Set(blocked.flatMap((b) => b.verdicts.map((v) => v.verdict.rule)));
  const policyRules = [
    ...new Map(
      blocked
        .flatMap((b) => b.verdicts.flatMap((v) => (v.verdict.policy ? [v.verdict.policy] : [])))
        .map((p) => [
          `${p.name} ${p.priority}`,
          { policy: p.name, type: p.type, priority: p.priority, action: p.action },
        ]),
    ).values(),
  ];
  const { candidates, disabledAdmitting } = candidateReasons(
    rules,
    facts.firewallPolicies,
    blocked.map((b) => b.inst),
    port,
  );
  return {
    cause: ID,
    summary: policyRules.length
      ? `firewall policy rule ${policyRules.map((r) => `${r.policy} priority ${r.priority}`).join(', ')} drops ${blockedRanges.join(' and ')} to tcp:${port} on ${blocked.length}/${instances.length} instances`
      : `no firewall rule admits ${blockedRanges.join(' and ')} to tcp:${port} on ${blocked.length}/${instances.length} instances`,
    evidence: [
      `firewalls.list: ${rules.length} rule${rules.length === 1 ? '' : 's'} on the project`,
      ...(facts.firewallPolicies?.some((n) => n.policies.length > 0)
        ? [
            `networks.getEffectiveFirewalls: ${facts.firewallPolicies
              .map(
                (n) =>
                  `${n.network} ${n.enforcementOrder}, policies ${n.policies.map((p) => `${p.name} (${p.type})`).join(', ') || 'none'}`,
              )
              .join('; ')}`,
          ]
        : []),
      ...blocked.map(
        (b) =>
          `${b.inst.name} (tags ${b.inst.tags.join(',') || 'none'}): ${b.verdicts
            .map((v) => `${v.range} → ${v.verdict.rule}`)
            .join('; ')}`,
      ),
      ...candidates.map((c) => `rule ${c.rule} does not admit them: ${c.reason}`),
    ],
    fix: {
      cause: ID,
      network: blocked[0]?.inst.network ?? '',
      port,
      targetTags: [...new Set(blocked.flatMap((b) => b.inst.tags))].sort(),
      blockedRanges,
      blockingRules: rules
        .filter((r) => blockingNames.has(r.name))
        .map((r) => ({ name: r.name, priority: r.priority })),
      instances: blocked.map(({ inst }) => ({
        name: inst.name,
        zone: inst.zone,
        tags: inst.tags,
        serviceAccounts: inst.serviceAccounts,
      })),
      ...(policyRules.length > 0 ? { policyRules } : {}),
      ...(disabledAdmitting.length > 0 ? { disabledRules: disabledAdmitting } : {}),
    },
  };
}

function detect(facts: Facts, before: readonly AnyFinding[]): Detection<FirewallFinding> {
  if (!facts.chaseHealth) return { findings: [] };
  const { evidence, groups, serving } = facts;
  // A serving-port check on a NEG probes each endpoint's port (gcp-facts §1).
  const port = portAfterFixes(facts, before) ?? facts.negEndpoints[0]?.port;
  const hasInstances = probedInstances(facts).length > 0;
  const found =
    evidence.firewallRules.ok && groups && port !== undefined && hasInstances
      ? finding(facts, evidence.firewallRules.value, port)
      : undefined;
  const notes = evidence.firewallRules.ok
    ? []
    : ['firewall rules could not be read: whether probes are admitted is unknown'];
  // The last of the health causes: when none of them holds, say that the evidence conflicts.
  if (before.length === 0 && !found && serving && facts.healthCheckPort === serving.port) {
    notes.push(
      `conflicting evidence: the app answers 200 on :${serving.port}${serving.path}, the health check and firewall agree, yet ${facts.unhealthy} backend(s) are unhealthy`,
    );
  }
  return { findings: found ? [found] : [], notes };
}

const permissionsText = (perms: FirewallPermission[]) =>
  perms.map((p) => `${p.IPProtocol}:${p.ports?.length ? p.ports.join(',') : 'all'}`).join(' ') || 'none';

/** Changes the allowed ports of lbmedic's own rule; the inverse puts its old ones back. */
function patchStep(rule: FirewallRule, allowed: FirewallPermission[]): ProposedStep {
  return {
    id: `firewall/${rule.name}`,
    resource: { kind: 'firewall', name: rule.name },
    changes: [
      { field: 'allowed', before: permissionsText(rule.allowed ?? []), after: permissionsText(allowed) },
    ],
    apply: { kind: 'patchFirewall', firewall: rule.name, allowed },
    inverse: { kind: 'patchFirewall', firewall: rule.name, allowed: rule.allowed ?? [] },
  };
}

type Targets = { targetTags: string[] } | { targetServiceAccounts: string[] };

/** The rule lbmedic inserts, as a step whose inverse deletes it. */
function insertStep(
  f: FirewallFinding,
  rule: { name: string; port: number; priority: number; ranges: readonly string[]; targets: Targets },
): ProposedStep {
  const { name, port, priority, ranges, targets } = rule;
  const byTag = 'targetTags' in targets;
  const targetValues = byTag ? targets.targetTags : targets.targetServiceAccounts;
  return {
    id: `firewall/${name}`,
    resource: { kind: 'firewall', name },
    changes: [
      { field: '(new rule)', before: '-', after: `INGRESS ALLOW tcp:${port} priority ${priority}` },
      { field: 'sourceRanges', before: '-', after: ranges.join(', ') },
      { field: byTag ? 'targetTags' : 'targetServiceAccounts', before: '-', after: targetValues.join(', ') },
      { field: 'network', before: '-', after: networkName(f.fix.network) },
    ],
    apply: {
      kind: 'insertFirewall',
      firewall: name,
      network: f.fix.network,
      priority,
      sourceRanges: [...ranges],
      targetTags: byTag ? targetValues : [],
      ...(byTag ? {} : { targetServiceAccounts: targetValues }),
      allowed: [{ IPProtocol: 'tcp', ports: [String(port)] }],
      description: `${LBMEDIC_MARK} admit Google health-check probes to tcp:${port} (${f.summary})`.slice(
        0,
        2048,
      ),
    },
    inverse: { kind: 'deleteFirewall', firewall: name },
  };
}

/** The deterministic name of lbmedic's rule for these ranges, port and targets on `network`. */
function ruleName(
  prefix: string,
  network: string,
  port: number,
  ranges: readonly string[],
  targets: Targets,
) {
  const key = JSON.stringify({ network: networkName(network), port, ranges, targets });
  return resourceName([prefix, networkName(network), String(port)], shortHash(key));
}

/** The exact policy rule(s) and the change that would admit the probes, for a human to make. */
function policyChange(fix: FirewallFix): string {
  const ranges = fix.blockedRanges.join(', ');
  return (fix.policyRules ?? [])
    .map((r) => {
      const where =
        r.type === 'HIERARCHY'
          ? `hierarchical firewall policy ${r.policy}`
          : `network firewall policy ${r.policy}`;
      return `${where} rule priority ${r.priority} (${r.action}) drops ${ranges} to tcp:${fix.port}: exclude the probe ranges from it, or add an allow rule for ${ranges} tcp:${fix.port} at a priority below ${r.priority} in ${r.policy}${
        r.type === 'HIERARCHY' ? ' (the organization or folder owns it)' : ''
      }`;
    })
    .join('; ');
}

function planAllowProbes(
  f: FirewallFinding,
  action: AllowProbesInFirewall,
  { evidence }: PlanContext,
): Proposal {
  const { fix } = f;
  // A firewall policy decides before or beside the VPC rules: no VPC rule lbmedic adds can win over
  // a hierarchical deny, and lbmedic never edits a policy (docs/safety.md). Say exactly what to change.
  if (fix.policyRules?.length) return { escalate: policyChange(fix) };
  // A disabled rule that would admit them is the one to enable, not to copy (lbmedic writes only its own).
  if (fix.disabledRules?.length) {
    return {
      escalate: `enable firewall rule ${fix.disabledRules.join(', ')}: it would admit the probes; lbmedic does not duplicate it`,
    };
  }
  const port = fromDiagnosis(action.port, fix.port);
  if (port === undefined) return { escalate: 'no port to open' };
  const scheme = evidence.backend.ok ? evidence.backend.value.loadBalancingScheme : '';
  const ranges = probeRangesFor(scheme);
  if (!ranges)
    return { escalate: `lbmedic does not know the probe ranges of load-balancing scheme ${scheme}` };
  const deny = [...fix.blockingRules].sort((a, b) => a.priority - b.priority)[0];
  if (deny && !action.overrideDeny) {
    return {
      escalate: `deny rule ${deny.name} (priority ${deny.priority}) drops the probes; the policy does not let lbmedic override a deny (overrideDeny)`,
    };
  }
  const priority = deny ? Math.min(action.priority, deny.priority - 1) : action.priority;
  if (priority < 0) return { escalate: 'a deny rule at priority 0 blocks the probes: no allow rule can win' };
  // A rule with no targets applies to the whole network: never without the instances it is for.
  if (fix.instances.length === 0) return { escalate: 'the finding names no blocked instances to target' };
  const topology = evidence.topology.ok ? evidence.topology.value : undefined;
  const targets = narrowestTargets(fix.instances, fix.network, topology);
  if ('problem' in targets) return { escalate: targets.problem };
  const name = ruleName(action.namePrefix, fix.network, port, ranges, targets);
  const rules = evidence.firewallRules.ok ? evidence.firewallRules.value : [];
  const sameName = rules.find((r) => r.name === name);
  if (!sameName) return { steps: [insertStep(f, { name, port, priority, ranges, targets })] };
  // A rule of that name from an earlier run: put it right if it is lbmedic's own and narrow.
  const refusal = patchRefusal(sameName);
  if (refusal) return { escalate: `a rule named ${name} exists and lbmedic may not change it: ${refusal}` };
  return { steps: [patchStep(sameName, [{ IPProtocol: 'tcp', ports: [String(port)] }])] };
}

export const firewallBlocksProbes = defineCause({
  id: ID,
  scenarios: ['firewall-missing', 'port-moved', 'neg-zonal', 'firewall-policy-blocks-probes'],
  fix: FirewallFix,
  detect,
  humanFix: (fix) =>
    fix.policyRules?.length
      ? `change the firewall policy rule(s) ${fix.policyRules.map((r) => `${r.policy} priority ${r.priority}`).join(', ')} so ${PROBE_RANGES.join(' and ')} reach tcp:${fix.port} (lbmedic never edits firewall policies)`
      : `allow ${PROBE_RANGES.join(' and ')} to tcp:${fix.port} on network ${networkName(fix.network)}${
          fix.targetTags.length ? ` for tags ${fix.targetTags.join(',')}` : ''
        }, in a rule that admits nothing else`,
  remedies: [remedy(AllowProbesInFirewall, planAllowProbes)],
});
