/**
 * The decisions of a remediation round, run as a local activity: what the evidence proves (classify),
 * what may change under the worker's policies (buildPlan), how the plan reads, and whether the limits
 * let it be applied. Its result is recorded in the workflow's history, so a run that replays (a new
 * worker, a run parked for approval for a day) keeps the decision it was made with, whatever the
 * decision code says now. Why and how: docs/versioning.md.
 */
import { classify, type Diagnosis } from '../core/classify';
import type { Evidence } from '../core/evidence';
import { checkLimits, type LimitVerdict, type PastRemediation } from '../core/limits';
import { buildPlan, type Plan, type PlanStep } from '../core/plan';
import { renderPlan } from '../core/plan-render';
import type { PolicySet } from '../policies/schema';
import { planHash } from './plan-hash';

export interface DecideInput {
  evidence: Evidence;
  /** The alert policies' user labels: policies may select on them. */
  labels: Record<string, string>;
  /** Closed runs for the same backend service (cooldown, daily maximum, circuit breaker). */
  past: PastRemediation[];
  /** Workflow time (ISO) the limits are judged at. */
  now: string;
  /** Steps this run applied in earlier rounds: a later round extends the same unit of change. */
  applied: PlanStep[];
}

export interface Decision {
  diagnosis: Diagnosis;
  /** What this round's evidence asks for. */
  plan: Plan;
  /** `plan` as people read it. */
  rendered: string;
  /** What an approval of `plan` names (activities/plan-hash.ts). */
  planHash: string;
  /** The steps of `plan` this run has not applied yet. */
  newSteps: PlanStep[];
  /** Only when `applied` was not empty: the unit of change (the applied steps, then `newSteps`). */
  extended?: { plan: Plan; rendered: string; planHash: string };
  /** May the plan be applied now, given the runs that closed before? */
  limits: LimitVerdict;
}

/** Decides from evidence with the policies the worker validated at start-up. */
export function decide(policies: PolicySet, input: DecideInput): Decision {
  const diagnosis = classify(input.evidence);
  const plan = buildPlan(input.evidence, diagnosis, policies, input.labels);
  const newSteps = plan.steps.filter((s) => !input.applied.some((a) => a.id === s.id));
  const unit = input.applied.length > 0 ? { ...plan, steps: [...input.applied, ...newSteps] } : undefined;
  return {
    diagnosis,
    plan,
    rendered: renderPlan(plan),
    planHash: planHash(plan),
    newSteps,
    ...(unit ? { extended: { plan: unit, rendered: renderPlan(unit), planHash: planHash(unit) } } : {}),
    limits: checkLimits(input.past, plan.limits, new Date(input.now)),
  };
}

export function createDecideActivities(policies: PolicySet) {
  return {
    /** {@link decide} as a local activity of the remediation workflow. */
    async decide(input: DecideInput): Promise<Decision> {
      return decide(policies, input);
    },
  };
}
