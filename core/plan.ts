/**
 * Plans: a pure function from (evidence = current resource state, diagnosis, policies) to the exact
 * changes lbmedic would make, each with its before → after values and the inverse change used for
 * rollback. Several root causes make one plan that is applied, verified and rolled back as a unit.
 */
import type { Diagnosis, Finding, FixFacts, RootCause } from './classify';
import { healthCheckPort } from './classify';
import type { Evidence } from './evidence';
import type { FirewallPermission, FirewallRule } from './firewall';
import { PROBE_RANGES, cidrContains, networkName } from './firewall';
import type { Action, Policy, PolicySet } from '../policies/schema';
import { selectPolicy, type SelectionContext } from '../policies/select';
import { MANUAL_APPROVAL_LABEL } from './model';
import type { Mutation, NamedPort } from './mutation';

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

export interface PlanStep {
  /** Deterministic id: resource kind and name. */
  id: string;
  cause: RootCause;
  policy: string;
  resource: {
    kind: 'healthCheck' | 'firewall' | 'instanceGroup' | 'backendService';
    name: string;
    zone?: string;
  };
  changes: FieldChange[];
  apply: Mutation;
  /** Restores the state read at planning time. */
  inverse: Mutation;
}

export interface Escalation {
  cause: RootCause;
  policy?: string;
  summary: string;
  evidence: string[];
  /** What a person should change, in words. */
  humanFix: string;
}

export interface PlanApproval {
  mode: 'auto' | 'manual';
  approvers: string[];
  required: number;
  allowSelfApproval: boolean;
  timeoutSec: number;
  onTimeout: 'escalate' | 'reject';
  cancelOnIncidentClosed: boolean;
}

export interface Plan {
  project: string;
  backendService: string;
  verdict: Diagnosis['verdict'];
  steps: PlanStep[];
  escalations: Escalation[];
  /** Policies that govern the steps. */
  policies: string[];
  dryRun: boolean;
  dryRunReasons: string[];
  approval: PlanApproval;
  verification: { deadlineSec: number; healthyFraction: number };
  rollback: 'auto' | 'never';
  limits: { cooldownSec: number; maxPerDay: number; circuitBreakerFailures: number };
  /** Things the planner noticed that change nothing (a value already right, a cap reached). */
  notes: string[];
}

const HUMAN_FIX: Record<RootCause, (f: FixFacts) => string> = {
  HEALTH_CHECK_MISMATCH: () => 'point the health check at the port and path the app serves',
  FIREWALL_BLOCKS_PROBES: (f) =>
    f.cause === 'FIREWALL_BLOCKS_PROBES'
      ? `allow ${PROBE_RANGES.join(' and ')} to tcp:${f.port} on network ${networkName(f.network)}${
          f.targetTags.length ? ` for tags ${f.targetTags.join(',')}` : ''
        }`
      : '',
  NAMED_PORT_MISMATCH: (f) =>
    f.cause === 'NAMED_PORT_MISMATCH'
      ? `set named port ${f.portName} to ${f.port} on the backend instance groups`
      : '',
  BACKEND_TIMEOUT: (f) =>
    f.cause === 'BACKEND_TIMEOUT'
      ? `raise ${f.backendService}'s timeoutSec above the slow endpoints' latency, or make them faster`
      : '',
  KEEPALIVE_TOO_SHORT: (f) =>
    f.cause === 'KEEPALIVE_TOO_SHORT'
      ? `raise the backend server's HTTP keepalive (idle) timeout above 600 s, e.g. ${f.requiredKeepaliveSec} s`
      : '',
  NEG_MISCONFIGURED: (f) =>
    f.cause === 'NEG_MISCONFIGURED'
      ? `repoint or recreate ${f.negs.map((n) => n.name).join(', ')} so it has endpoints (check the Cloud Run service and region)`
      : '',
};

const pick = <T>(fromPolicy: 'fromDiagnosis' | T, fromDiagnosis: T | undefined): T | undefined =>
  fromPolicy === 'fromDiagnosis' ? fromDiagnosis : fromPolicy;

const ports = (perms: FirewallPermission[]) =>
  perms.map((p) => `${p.IPProtocol}:${p.ports?.length ? p.ports.join(',') : 'all'}`).join(' ') || 'none';
const namedPortsText = (ps: NamedPort[]) => ps.map((p) => `${p.name}:${p.port}`).join(', ') || 'none';

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

interface StepResult {
  step?: PlanStep;
  escalation?: Escalation;
  note?: string;
}

function escalation(f: Finding, policy: Policy | undefined, extra?: string): Escalation {
  return {
    cause: f.cause,
    ...(policy ? { policy: policy.name } : {}),
    summary: f.summary,
    evidence: f.evidence,
    humanFix: [HUMAN_FIX[f.cause](f.fix), extra].filter(Boolean).join('. '),
  };
}

function stepFor(f: Finding, policy: Policy, action: Action, ev: Evidence): StepResult {
  const fix = f.fix;
  if (action.type === 'escalate') return { escalation: escalation(f, policy, action.message) };

  if (action.type === 'patchHealthCheck' && fix.cause === 'HEALTH_CHECK_MISMATCH') {
    const hc = ev.healthCheck.ok ? ev.healthCheck.value : null;
    if (!hc)
      return { escalation: escalation(f, policy, 'the health check could not be read at planning time') };
    const port = pick(action.port, fix.port) ?? hc.port;
    const requestPath = pick(action.requestPath, fix.requestPath) ?? hc.requestPath;
    const changes: FieldChange[] = [];
    const key = `${hc.type.toLowerCase()}HealthCheck`;
    if (port !== hc.port)
      changes.push({ field: `${key}.port`, before: String(hc.port ?? '-'), after: String(port) });
    const fixedSpec = port !== hc.port && hc.portSpecification && hc.portSpecification !== 'USE_FIXED_PORT';
    if (fixedSpec)
      changes.push({
        field: `${key}.portSpecification`,
        before: hc.portSpecification ?? '-',
        after: 'USE_FIXED_PORT',
      });
    if (requestPath !== hc.requestPath) {
      changes.push({ field: `${key}.requestPath`, before: hc.requestPath ?? '-', after: requestPath ?? '/' });
    }
    if (changes.length === 0) return { note: `health check ${hc.name} already probes what the policy asks` };
    return {
      step: {
        id: `healthCheck/${hc.name}`,
        cause: f.cause,
        policy: policy.name,
        resource: { kind: 'healthCheck', name: hc.name },
        changes,
        apply: {
          kind: 'patchHealthCheck',
          healthCheck: hc.name,
          type: hc.type,
          ...(port !== undefined ? { port } : {}),
          ...(requestPath !== undefined ? { requestPath } : {}),
          ...(fixedSpec ? { portSpecification: 'USE_FIXED_PORT' } : {}),
        },
        inverse: {
          kind: 'patchHealthCheck',
          healthCheck: hc.name,
          type: hc.type,
          ...(hc.port !== undefined ? { port: hc.port } : {}),
          ...(hc.requestPath !== undefined ? { requestPath: hc.requestPath } : {}),
          ...(fixedSpec && hc.portSpecification ? { portSpecification: hc.portSpecification } : {}),
        },
      },
    };
  }

  if (action.type === 'allowProbesInFirewall' && fix.cause === 'FIREWALL_BLOCKS_PROBES') {
    const port = pick(action.port, fix.port);
    if (port === undefined) return { escalation: escalation(f, policy, 'no port to open') };
    const rules = ev.firewallRules.ok ? ev.firewallRules.value : [];
    const bs = ev.backend.ok ? ev.backend.value : undefined;
    const hc = ev.healthCheck.ok ? ev.healthCheck.value : null;
    const groups = ev.instanceGroups.ok ? ev.instanceGroups.value : [];
    const currentHcPort = hc && bs ? healthCheckPort(hc, bs.portName, groups) : undefined;
    // The port moved: move the rule that admitted probes to the old port, rather than add a second one.
    const existing =
      currentHcPort !== undefined && currentHcPort !== port
        ? probeRuleFor(rules, fix.network, fix.targetTags, currentHcPort)
        : undefined;
    const blockingPriority = Math.min(...fix.blockingRules.map((r) => r.priority), Infinity);
    if (existing && existing.priority < blockingPriority) {
      const allowed = (existing.allowed ?? []).map((a) =>
        a.IPProtocol.toLowerCase() === 'tcp'
          ? {
              ...a,
              ports: [
                ...new Set((a.ports ?? []).map((p) => (p === String(currentHcPort) ? String(port) : p))),
              ],
            }
          : a,
      );
      return { step: firewallPatchStep(f, policy, existing, allowed) };
    }
    const priority = Math.min(action.priority, blockingPriority - 1);
    if (priority < 0) {
      return {
        escalation: escalation(
          f,
          policy,
          'a deny rule at priority 0 blocks the probes: no allow rule can win',
        ),
      };
    }
    const name = firewallRuleName(action.namePrefix, fix.network, port);
    const sameName = rules.find((r) => r.name === name);
    const allowed = [{ IPProtocol: 'tcp', ports: [String(port)] }];
    if (sameName) {
      // lbmedic's own rule from an earlier run exists: make it right instead of inserting a duplicate.
      return { step: firewallPatchStep(f, policy, sameName, allowed) };
    }
    return {
      step: {
        id: `firewall/${name}`,
        cause: f.cause,
        policy: policy.name,
        resource: { kind: 'firewall', name },
        changes: [
          { field: '(new rule)', before: '-', after: `INGRESS ALLOW tcp:${port} priority ${priority}` },
          { field: 'sourceRanges', before: '-', after: PROBE_RANGES.join(', ') },
          {
            field: 'targetTags',
            before: '-',
            after: fix.targetTags.join(', ') || '(all instances in the network)',
          },
          { field: 'network', before: '-', after: networkName(fix.network) },
        ],
        apply: {
          kind: 'insertFirewall',
          firewall: name,
          network: fix.network,
          priority,
          sourceRanges: [...PROBE_RANGES],
          targetTags: fix.targetTags,
          allowed,
          description: `lbmedic: admit Google health-check probes to tcp:${port} (${f.summary})`.slice(
            0,
            2048,
          ),
        },
        inverse: { kind: 'deleteFirewall', firewall: name },
      },
    };
  }

  if (action.type === 'raiseBackendTimeout' && fix.cause === 'BACKEND_TIMEOUT') {
    const observedSec = (fix.observedLatencyMs ?? 0) / 1000;
    const margin = fix.latencyCensored ? Math.max(action.margin, action.censoredMargin) : action.margin;
    const wanted = Math.ceil(Math.max(observedSec, fix.timeoutSec) * margin);
    const next = Math.min(action.maxTimeoutSec, wanted);
    if (next <= fix.timeoutSec) {
      return {
        escalation: escalation(
          f,
          policy,
          `timeoutSec is ${fix.timeoutSec}s and the policy caps it at ${action.maxTimeoutSec}s: the slow endpoints need fixing`,
        ),
      };
    }
    return {
      step: {
        id: `backendService/${fix.backendService}`,
        cause: f.cause,
        policy: policy.name,
        resource: { kind: 'backendService', name: fix.backendService },
        changes: [{ field: 'timeoutSec', before: String(fix.timeoutSec), after: String(next) }],
        apply: { kind: 'patchBackendService', backendService: fix.backendService, timeoutSec: next },
        inverse: {
          kind: 'patchBackendService',
          backendService: fix.backendService,
          timeoutSec: fix.timeoutSec,
        },
      },
      ...(next < wanted
        ? { note: `timeoutSec capped at ${action.maxTimeoutSec}s (the latency suggests ${wanted}s)` }
        : {}),
    };
  }
  return { escalation: escalation(f, policy, `policy action ${action.type} does not apply to ${f.cause}`) };
}

/** Changes the allowed ports of an existing rule; the inverse puts its old ones back. */
function firewallPatchStep(
  f: Finding,
  policy: Policy,
  rule: FirewallRule,
  allowed: FirewallPermission[],
): PlanStep {
  return {
    id: `firewall/${rule.name}`,
    cause: f.cause,
    policy: policy.name,
    resource: { kind: 'firewall', name: rule.name },
    changes: [{ field: 'allowed', before: ports(rule.allowed ?? []), after: ports(allowed) }],
    apply: { kind: 'patchFirewall', firewall: rule.name, allowed },
    inverse: { kind: 'patchFirewall', firewall: rule.name, allowed: rule.allowed ?? [] },
  };
}

function namedPortStep(
  f: Finding,
  policy: Policy,
  group: string,
  zone: string,
  current: NamedPort[],
  portName: string,
  port: number,
): PlanStep {
  const has = current.some((p) => p.name === portName);
  const next = has
    ? current.map((p) => (p.name === portName ? { ...p, port } : p))
    : [...current, { name: portName, port }];
  return {
    id: `instanceGroup/${zone}/${group}`,
    cause: f.cause,
    policy: policy.name,
    resource: { kind: 'instanceGroup', name: group, zone },
    changes: [{ field: 'namedPorts', before: namedPortsText(current), after: namedPortsText(next) }],
    apply: { kind: 'setNamedPorts', instanceGroup: group, zone, namedPorts: next },
    inverse: { kind: 'setNamedPorts', instanceGroup: group, zone, namedPorts: current },
  };
}

/** Strictest-wins combination of the approval, verification and limits of the governing policies. */
function combine(policies: Policy[]): Pick<Plan, 'approval' | 'verification' | 'rollback' | 'limits'> {
  const manual = policies.filter((p) => p.approval.mode === 'manual');
  const lists = manual.map((p) => p.approval.approvers).filter((l) => l.length > 0);
  const approvers = lists.length === 0 ? [] : lists.reduce((a, b) => a.filter((x) => b.includes(x)));
  return {
    approval: {
      mode: manual.length > 0 ? 'manual' : 'auto',
      approvers,
      required: Math.max(1, ...manual.map((p) => p.approval.required)),
      allowSelfApproval: manual.every((p) => p.approval.allowSelfApproval),
      timeoutSec: Math.min(...manual.map((p) => p.approval.timeout), 86_400),
      onTimeout: manual.some((p) => p.approval.onTimeout === 'escalate')
        ? 'escalate'
        : manual.length
          ? 'reject'
          : 'escalate',
      cancelOnIncidentClosed: manual.length > 0 && manual.every((p) => p.approval.cancelOnIncidentClosed),
    },
    verification: {
      deadlineSec: policies.length ? Math.max(...policies.map((p) => p.verification.deadline)) : 600,
      healthyFraction: Math.max(0, ...policies.map((p) => p.verification.healthyFraction)) || 1,
    },
    // Changes are applied as a unit; undoing them is the conservative choice if any policy wants it.
    rollback: policies.some((p) => p.rollback === 'auto') || policies.length === 0 ? 'auto' : 'never',
    limits: {
      cooldownSec: Math.max(0, ...policies.map((p) => p.limits.cooldown)),
      maxPerDay: Math.min(100, ...policies.map((p) => p.limits.maxPerDay)),
      circuitBreakerFailures: Math.min(20, ...policies.map((p) => p.limits.circuitBreakerFailures)),
    },
  };
}

/**
 * Builds the plan. `ctx.labels` are the alert's policy user labels (selection by label).
 * A cause without a policy is escalated and forces dry-run for anything it would have needed.
 */
export function buildPlan(
  ev: Evidence,
  diagnosis: Diagnosis,
  set: PolicySet,
  labels: Record<string, string> = {},
): Plan {
  const ctx: SelectionContext = { project: ev.project, backendService: ev.backendService, labels };
  const steps: PlanStep[] = [];
  const escalations: Escalation[] = [];
  const notes: string[] = [];
  const governing: Policy[] = [];
  const dryRunReasons: string[] = [];
  for (const f of diagnosis.findings) {
    const policy = selectPolicy(set, f.cause, ctx);
    if (!policy) {
      escalations.push(
        escalation(f, undefined, 'no policy allows lbmedic to change anything for this cause'),
      );
      continue;
    }
    if (f.fix.cause === 'NAMED_PORT_MISMATCH' && policy.action.type === 'setNamedPort') {
      const fix = f.fix;
      const port = pick(policy.action.port, fix.port);
      const groups = ev.instanceGroups.ok ? ev.instanceGroups.value : [];
      for (const g of groups.filter((x) => fix.groups.some((y) => y.name === x.name && y.zone === x.zone))) {
        if (port !== undefined)
          steps.push(namedPortStep(f, policy, g.name, g.zone, g.namedPorts, fix.portName, port));
      }
      governing.push(policy);
      continue;
    }
    const r = stepFor(f, policy, policy.action, ev);
    if (r.step) {
      steps.push(r.step);
      governing.push(policy);
    }
    if (r.escalation) escalations.push(r.escalation);
    if (r.note) notes.push(r.note);
  }
  // One change per resource: two causes touching the same resource would fight.
  const seen = new Set<string>();
  const unique = steps.filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true)));
  const policies = [...new Map(governing.map((p) => [p.name, p])).values()];
  if (set.settings.killSwitch)
    dryRunReasons.push('the kill switch is on (policies/settings.yaml): every policy is dry-run');
  for (const p of policies) if (p.dryRun) dryRunReasons.push(`policy ${p.name} is dry-run`);
  if (unique.length > 0 && escalations.some((e) => !e.policy)) {
    dryRunReasons.push('a root cause has no policy: lbmedic will not apply a partial fix');
  }
  const combined = combine(policies);
  // An alert may ask for a person in the loop (never the reverse): `lbmedic_approval: manual`.
  if (labels[MANUAL_APPROVAL_LABEL] === 'manual' && combined.approval.mode === 'auto') {
    combined.approval = {
      ...combined.approval,
      mode: 'manual',
      timeoutSec: Math.min(combined.approval.timeoutSec, 1800),
    };
    notes.push(`approval is manual: the alert carries ${MANUAL_APPROVAL_LABEL}=manual`);
  }
  return {
    project: ev.project,
    backendService: ev.backendService,
    verdict: diagnosis.verdict,
    steps: unique,
    escalations,
    policies: policies.map((p) => p.name).sort(),
    dryRun: dryRunReasons.length > 0,
    dryRunReasons,
    ...combined,
    notes,
  };
}
