/**
 * Plans: a pure function from (evidence = current resource state, diagnosis, policies) to the exact
 * changes lbmedic would make, each with its before → after values and the inverse change used for
 * rollback. Several root causes make one plan that is applied, verified and rolled back as a unit.
 *
 * The planner selects a policy per finding and hands the finding and the policy's action to the
 * finding's cause (core/causes/<cause>.ts), which proposes the changes; what it keeps for itself is
 * what spans causes: escalation, one change per resource, the impact of each change and the policy's
 * `maxImpact` (core/impact.ts), the strictest-wins approval and limits, dry-run and the alert's
 * approval label.
 */
import type { Finding, RootCause } from './causes';
import type { Diagnosis } from './classify';
import { causeOf, humanFixOf } from './causes';
import type { ProposedStep } from './causes/cause';
import type { Evidence } from './evidence';
import { impactText, impactVerdict, type StepImpact, stepImpact } from './impact';
import type { Approver, Policy, PolicySet } from '../policies/schema';
import { selectPolicy, type SelectionContext } from '../policies/select';
import { MANUAL_APPROVAL_LABEL } from './model';
import { POLICY_BOUNDS, unservedPortProblem, verificationWindowSec } from './bounds';
import { floorAt, planAutonomy, type PlanAutonomy, type PolicyRecords } from './autonomy';

export type { FieldChange } from './causes/cause';

export interface PlanStep extends ProposedStep {
  cause: RootCause;
  policy: string;
  /** What else the change reaches besides the target backend service. */
  impact: StepImpact;
}

export interface Escalation {
  cause: RootCause;
  policy?: string;
  summary: string;
  evidence: string[];
  /** What a person should change, in words. */
  humanFix: string;
}

/** Someone who may sign an approval, with the keys (and their validity windows) that count. */
export type PlanSigner = Approver;

export interface PlanApproval {
  mode: 'auto' | 'manual';
  /** The names the policies list; empty: anyone in `signers` (or, when open, anyone). */
  approvers: string[];
  /**
   * `signed`: an approval counts only when signed by a key of `signers` (docs/approvals.md);
   * `open`: every governing manual policy takes approvals on trust, and the plan says so.
   */
  authentication: 'signed' | 'open';
  /** Who may sign and with which keys: the listed approvers, or every registered one. Empty when open. */
  signers: PlanSigner[];
  /** A signed approval older than this no longer counts (the policies' shortest `approvalTtl`). */
  ttlSec: number;
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
  /** Values below the policy bounds that governing policies set on purpose (`unsafe:`), in words. */
  unsafe?: string[];
  /**
   * The plan's mode (observe, suggest, auto) and why (core/autonomy.ts); absent from plans recorded
   * before modes existed, whose `approval.mode` says all.
   */
  autonomy?: PlanAutonomy;
}

function escalation(f: Finding, policy: Policy | undefined, extra?: string): Escalation {
  return {
    cause: f.cause,
    ...(policy ? { policy: policy.name } : {}),
    summary: f.summary,
    evidence: f.evidence,
    humanFix: [humanFixOf(f), extra].filter(Boolean).join('. '),
  };
}

/** What one finding contributes to the plan. */
interface Planned {
  steps: PlanStep[];
  escalation?: Escalation;
  note?: string;
  /** The policy, when it governs steps of the plan. */
  governs?: Policy;
}

/** The backend service a plan is for, with its region when it is regional (for impact). */
function targetOf(ev: Evidence): { backendService: string; region?: string | undefined } {
  return { backendService: ev.backendService, region: ev.backend.ok ? ev.backend.value.region : undefined };
}

function planFinding(f: Finding, policy: Policy | undefined, ev: Evidence): Planned {
  if (!policy) {
    return {
      steps: [],
      escalation: escalation(f, undefined, 'no policy allows lbmedic to change anything for this cause'),
    };
  }
  const { action } = policy;
  if (action.type === 'escalate') return { steps: [], escalation: escalation(f, policy, action.message) };
  const unserved = unservedPortProblem(action, ev.probe);
  if (unserved) return { steps: [], escalation: escalation(f, policy, unserved) };
  const proposal = causeOf(f.cause).planFinding(f, action, { evidence: ev }) ?? {
    escalate: `policy action ${action.type} does not apply to ${f.cause}`,
  };
  const rules = ev.firewallRules.ok ? ev.firewallRules.value : [];
  const steps = (proposal.steps ?? []).map(({ id, ...rest }) => ({
    id,
    cause: f.cause,
    policy: policy.name,
    ...rest,
    impact: stepImpact(rest, targetOf(ev), ev.topology, rules),
  }));
  return {
    steps,
    ...(proposal.escalate !== undefined ? { escalation: escalation(f, policy, proposal.escalate) } : {}),
    ...(proposal.note ? { note: proposal.note } : {}),
    ...(steps.length > 0 ? { governs: policy } : {}),
  };
}

/** Why a manual plan could not be approved by anyone, if it could not. */
function unapprovable(a: PlanApproval, disjoint: boolean): string | undefined {
  if (a.mode !== 'manual') return undefined;
  if (disjoint) return 'the governing policies have no approver in common: nobody could approve';
  if (a.authentication === 'signed' && a.signers.length === 0)
    return 'approval is manual and no approver has a registered key: nobody could sign (docs/approvals.md)';
  return undefined;
}
const healthCheckOf = (ev: Evidence) => (ev.healthCheck.ok ? ev.healthCheck.value : null);
/** What the governing policies' `maxImpact` makes of the steps. */
interface Gated {
  steps: PlanStep[];
  escalations: Escalation[];
  notes: string[];
  /** A step reaches further than its policy allows on its own, and the policy wants a person. */
  needsApproval: boolean;
}

/**
 * Holds every step against its policy's `maxImpact`. A step that reaches further escalates (and then
 * nothing is applied: lbmedic never applies part of a fix), waits for a person, or goes ahead, as the
 * policy says; each is noted with what it reaches.
 */
function gateImpact(steps: PlanStep[], policies: Policy[]): Gated {
  const out: Gated = { steps, escalations: [], notes: [], needsApproval: false };
  for (const step of steps) {
    const policy = policies.find((p) => p.name === step.policy);
    if (!policy) continue;
    const verdict = impactVerdict(step.impact, policy.maxImpact);
    if (verdict === 'within') continue;
    const reach = `${step.id} also affects ${impactText(step.impact)}`;
    const limit = `policy ${policy.name} lets one change reach ${policy.maxImpact.otherBackendServices} other backend service(s) (maxImpact)`;
    if (verdict === 'escalate') {
      out.escalations.push({
        cause: step.cause,
        policy: policy.name,
        summary: reach,
        evidence: [step.impact.via],
        humanFix: `${reach}; ${limit}: make this change by hand, knowing what it reaches, or allow it in the policy`,
      });
    } else {
      out.needsApproval ||= verdict === 'approve';
      out.notes.push(
        `${reach}; ${limit}, beyond that it ${verdict === 'approve' ? 'asks a person' : 'goes ahead'}`,
      );
    }
  }
  if (out.escalations.length > 0) {
    out.notes.push(
      `nothing is applied (lbmedic never applies part of a fix): ${steps.map((s) => s.id).join(', ')}`,
    );
    out.steps = [];
  }
  return out;
}

/** Strictest-wins combination of the approval, verification and limits of the governing policies. */
function combine(
  policies: Policy[],
  registry: Approver[],
  autonomy: PlanAutonomy,
): Pick<Plan, 'approval' | 'verification' | 'rollback' | 'limits'> & { disjoint: boolean } {
  // A policy that earned automatic mode asks nobody; observe and suggest ones keep their rules.
  const manual = policies.filter((p) => autonomy.policies[p.name]?.mode !== 'auto');
  const lists = manual.map((p) => p.approval.approvers.map((a) => a.name)).filter((l) => l.length > 0);
  const approvers = lists.length === 0 ? [] : lists.reduce((a, b) => a.filter((x) => b.includes(x)));
  // Open only when every manual policy says so: one that wants signatures gets them.
  const open = manual.length > 0 && manual.every((p) => p.approval.authentication === 'open');
  const signers = open ? [] : registry.filter((r) => approvers.length === 0 || approvers.includes(r.name));
  return {
    disjoint: lists.length > 0 && approvers.length === 0,
    approval: {
      mode: manual.length > 0 ? 'manual' : 'auto',
      approvers,
      authentication: open ? 'open' : 'signed',
      signers,
      ttlSec: Math.min(...manual.map((p) => p.approval.approvalTtl), 1800),
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
      cooldownSec: Math.max(0, ...policies.map((p) => p.unsafe?.cooldown ?? p.limits.cooldown)),
      maxPerDay: Math.min(100, ...policies.map((p) => p.limits.maxPerDay)),
      circuitBreakerFailures: Math.min(20, ...policies.map((p) => p.limits.circuitBreakerFailures)),
    },
  };
}

/**
 * Builds the plan. `ctx.labels` are the alert's policy user labels (selection by label); `records`
 * the policies' past runs, which may earn a `suggest` policy automatic mode (core/autonomy.ts).
 * A cause without a policy is escalated and forces dry-run for anything it would have needed.
 */
export function buildPlan(
  ev: Evidence,
  diagnosis: Diagnosis,
  set: PolicySet,
  labels: Record<string, string> = {},
  records?: PolicyRecords,
): Plan {
  const ctx: SelectionContext = { project: ev.project, backendService: ev.backendService, labels };
  const planned = diagnosis.findings.map((f) => planFinding(f, selectPolicy(set, f.cause, ctx), ev));
  const steps = planned.flatMap((p) => p.steps);
  const escalations = planned.flatMap((p) => (p.escalation ? [p.escalation] : []));
  const notes = planned.flatMap((p) => (p.note ? [p.note] : []));
  const governing = planned.flatMap((p) => (p.governs ? [p.governs] : []));
  const dryRunReasons: string[] = [];
  // One change per resource: two causes touching the same resource would fight.
  const seen = new Set<string>();
  const policies = [...new Map(governing.map((p) => [p.name, p])).values()];
  const gated = gateImpact(
    steps.filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true))),
    policies,
  );
  const unique = gated.steps;
  escalations.push(...gated.escalations);
  notes.push(...gated.notes);
  if (set.settings.killSwitch)
    dryRunReasons.push('the kill switch is on (policies/settings.yaml): every policy is dry-run');
  for (const p of policies) if (p.dryRun) dryRunReasons.push(`policy ${p.name} is dry-run`);
  if (unique.length > 0 && escalations.some((e) => !e.policy)) {
    dryRunReasons.push('a root cause has no policy: lbmedic will not apply a partial fix');
  }
  let autonomy = planAutonomy(policies, records);
  const { disjoint, ...combined } = combine(policies, set.approvers, autonomy);
  // Long enough for the real health check to say HEALTHY, or no change at all (core/bounds.ts).
  const window = verificationWindowSec(combined.verification.deadlineSec, healthCheckOf(ev));
  if (window) combined.verification.deadlineSec = window.sec;
  if (unique.length > 0 && window?.note) notes.push(window.note);
  if (unique.length > 0 && !window) {
    const max = POLICY_BOUNDS.maxVerificationSec;
    dryRunReasons.push(`the health check needs longer to say HEALTHY than lbmedic verifies (${max}s)`);
  }
  // An alert may ask for a person in the loop (never the reverse): `lbmedic_approval: manual`; so
  // may a change that reaches further than its policy lets it on its own. Any registered approver
  // may then sign.
  const askedBy =
    labels[MANUAL_APPROVAL_LABEL] === 'manual'
      ? `the alert carries ${MANUAL_APPROVAL_LABEL}=manual`
      : gated.needsApproval
        ? 'a change reaches further than its policy allows on its own (maxImpact)'
        : undefined;
  if (askedBy) autonomy = floorAt(autonomy, askedBy);
  if (askedBy && combined.approval.mode === 'auto') {
    combined.approval = {
      ...combined.approval,
      mode: 'manual',
      signers: set.approvers,
      timeoutSec: Math.min(combined.approval.timeoutSec, 1800),
    };
    notes.push(`approval is manual: ${askedBy}`);
  }
  // An observed plan is never approved, so nobody needs to be able to.
  const nobody =
    unique.length > 0 && autonomy.mode !== 'observe' ? unapprovable(combined.approval, disjoint) : undefined;
  if (nobody) dryRunReasons.push(nobody);
  const unsafe = policies.flatMap((p) =>
    p.unsafe
      ? [
          `policy ${p.name} sets the cooldown to ${p.unsafe.cooldown}s, past its ${POLICY_BOUNDS.minCooldownSec}s bound: ${p.unsafe.reason}`,
        ]
      : [],
  );
  return {
    ...(unsafe.length > 0 ? { unsafe } : {}),
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
    autonomy,
  };
}
