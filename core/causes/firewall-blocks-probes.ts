/**
 * Root cause 2: no firewall rule admits Google's probe ranges to the port the health check probes.
 * Proven from the rules alone (VPC firewall semantics in ../firewall.ts), for the port the health
 * check will probe once the health-check and named-port fixes found before it are made. Fixed by
 * moving the existing probe rule to that port, or inserting a narrow lbmedic-owned rule; nothing
 * wider than the probe ranges is ever opened.
 */
import { z } from 'zod';
import type { FirewallPermission, FirewallRule } from '../firewall';
import { cidrContains, networkName, PROBE_RANGES, probeVerdicts } from '../firewall';
import { OWNED_NAME_PREFIX } from '../model';
import type { AnyFinding, Detection, FindingOf, PlanContext, Proposal, ProposedStep } from './cause';
import { defineCause, FromDiagnosis, fromDiagnosis, Port, remedy } from './cause';
import { type Facts, healthCheckPort } from './facts';
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
});
export type FirewallFix = z.infer<typeof FirewallFix>;
type FirewallFinding = FindingOf<typeof ID, FirewallFix>;

/** Policy action: admit the probe ranges to the port the health check probes. */
export const AllowProbesInFirewall = z.strictObject({
  type: z.literal('allowProbesInFirewall'),
  port: z.union([FromDiagnosis, Port]).default('fromDiagnosis'),
  /** Priority of an inserted rule; it is lowered below any deny rule that would win over it. */
  priority: z.number().int().min(0).max(65534).default(1000),
  /**
   * Name prefix of an inserted rule; the network and port complete it (deterministic, idempotent).
   * It starts with lbmedic-: the IAM condition (deploy/) lets lbmedic write only rules named so.
   */
  namePrefix: z
    .string()
    .regex(/^[a-z]([-a-z0-9]{0,40})$/, 'expected a lowercase name prefix (letters, digits, dashes)')
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

function finding(facts: Facts, rules: FirewallRule[], port: number): FirewallFinding | undefined {
  const instances = (facts.groups ?? []).flatMap((g) => g.instances);
  const blocked = instances
    .map((inst) => ({ inst, verdicts: probeVerdicts(rules, inst, port).filter((v) => !v.verdict.allowed) }))
    .filter((x) => x.verdicts.length > 0);
  if (blocked.length === 0) return undefined;
  const blockedRanges = [...new Set(blocked.flatMap((b) => b.verdicts.map((v) => v.range)))].sort();
  const blockingNames = new Set(blocked.flatMap((b) => b.verdicts.map((v) => v.verdict.rule)));
  return {
    cause: ID,
    summary: `no firewall rule admits ${blockedRanges.join(' and ')} to tcp:${port} on ${blocked.length}/${instances.length} instances`,
    evidence: [
      `firewalls.list: ${rules.length} rule${rules.length === 1 ? '' : 's'} on the project`,
      ...blocked.map(
        (b) =>
          `${b.inst.name} (tags ${b.inst.tags.join(',') || 'none'}): ${b.verdicts
            .map((v) => `${v.range} → ${v.verdict.rule}`)
            .join('; ')}`,
      ),
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
    },
  };
}

function detect(facts: Facts, before: readonly AnyFinding[]): Detection<FirewallFinding> {
  if (!facts.chaseHealth) return { findings: [] };
  const { evidence, groups, serving } = facts;
  const port = portAfterFixes(facts, before);
  const hasInstances = (groups ?? []).some((g) => g.instances.length > 0);
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

/** The rule lbmedic would call "the probe rule" for `port`: an enabled allow of both probe ranges to it. */
function probeRuleFor(
  rules: FirewallRule[],
  network: string,
  tags: string[],
  port: number,
): FirewallRule | undefined {
  return rules.find(
    (r) =>
      !r.disabled &&
      (r.direction || 'INGRESS') === 'INGRESS' &&
      !r.denied?.length &&
      networkName(r.network) === networkName(network) &&
      PROBE_RANGES.every((range) => (r.sourceRanges ?? []).some((s) => cidrContains(s, range))) &&
      (!r.targetTags?.length || tags.length === 0 || r.targetTags.some((t) => tags.includes(t))) &&
      (r.allowed ?? []).some(
        (a) => a.IPProtocol.toLowerCase() === 'tcp' && (a.ports ?? []).includes(String(port)),
      ),
  );
}

function firewallRuleName(prefix: string, network: string, port: number): string {
  return `${prefix}-${networkName(network)}-${port}`.slice(0, 63).replace(/-+$/, '');
}

/** Changes the allowed ports of an existing rule; the inverse puts its old ones back. */
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

/** A new rule admitting exactly the probe ranges to exactly `port`; the inverse deletes it. */
function insertStep(f: FirewallFinding, name: string, port: number, priority: number): ProposedStep {
  return {
    id: `firewall/${name}`,
    resource: { kind: 'firewall', name },
    changes: [
      { field: '(new rule)', before: '-', after: `INGRESS ALLOW tcp:${port} priority ${priority}` },
      { field: 'sourceRanges', before: '-', after: PROBE_RANGES.join(', ') },
      {
        field: 'targetTags',
        before: '-',
        after: f.fix.targetTags.join(', ') || '(all instances in the network)',
      },
      { field: 'network', before: '-', after: networkName(f.fix.network) },
    ],
    apply: {
      kind: 'insertFirewall',
      firewall: name,
      network: f.fix.network,
      priority,
      sourceRanges: [...PROBE_RANGES],
      targetTags: f.fix.targetTags,
      allowed: [{ IPProtocol: 'tcp', ports: [String(port)] }],
      description: `lbmedic: admit Google health-check probes to tcp:${port} (${f.summary})`.slice(0, 2048),
    },
    inverse: { kind: 'deleteFirewall', firewall: name },
  };
}

function planAllowProbes(
  f: FirewallFinding,
  action: AllowProbesInFirewall,
  { evidence }: PlanContext,
): Proposal {
  const { fix } = f;
  const port = fromDiagnosis(action.port, fix.port);
  if (port === undefined) return { escalate: 'no port to open' };
  const rules = evidence.firewallRules.ok ? evidence.firewallRules.value : [];
  const bs = evidence.backend.ok ? evidence.backend.value : undefined;
  const hc = evidence.healthCheck.ok ? evidence.healthCheck.value : null;
  const groups = evidence.instanceGroups.ok ? evidence.instanceGroups.value : [];
  const currentPort = hc && bs ? healthCheckPort(hc, bs.portName, groups) : undefined;
  // The port moved: move the rule that admitted probes to the old port, rather than add a second one.
  const existing =
    currentPort !== undefined && currentPort !== port
      ? probeRuleFor(rules, fix.network, fix.targetTags, currentPort)
      : undefined;
  const blockingPriority = Math.min(...fix.blockingRules.map((r) => r.priority), Infinity);
  if (existing && existing.priority < blockingPriority) {
    const allowed = (existing.allowed ?? []).map((a) =>
      a.IPProtocol.toLowerCase() === 'tcp'
        ? {
            ...a,
            ports: [...new Set((a.ports ?? []).map((p) => (p === String(currentPort) ? String(port) : p)))],
          }
        : a,
    );
    return { steps: [patchStep(existing, allowed)] };
  }
  const priority = Math.min(action.priority, blockingPriority - 1);
  if (priority < 0) return { escalate: 'a deny rule at priority 0 blocks the probes: no allow rule can win' };
  const name = firewallRuleName(action.namePrefix, fix.network, port);
  const sameName = rules.find((r) => r.name === name);
  // lbmedic's own rule from an earlier run exists: make it right instead of inserting a duplicate.
  if (sameName) return { steps: [patchStep(sameName, [{ IPProtocol: 'tcp', ports: [String(port)] }])] };
  return { steps: [insertStep(f, name, port, priority)] };
}

export const firewallBlocksProbes = defineCause({
  id: ID,
  scenarios: ['firewall-missing', 'port-moved'],
  fix: FirewallFix,
  detect,
  humanFix: (fix) =>
    `allow ${PROBE_RANGES.join(' and ')} to tcp:${fix.port} on network ${networkName(fix.network)}${
      fix.targetTags.length ? ` for tags ${fix.targetTags.join(',')}` : ''
    }`,
  remedies: [remedy(AllowProbesInFirewall, planAllowProbes)],
});
