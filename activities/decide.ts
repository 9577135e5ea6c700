/**
 * The decisions of a remediation round, run as a local activity: what the evidence proves (classify),
 * what may change under the worker's policies (buildPlan), how the plan reads, and whether the limits
 * let it be applied. Its result is recorded in the workflow's history, so a run that replays (a new
 * worker, a run parked for approval for a day) keeps the decision it was made with, whatever the
 * decision code says now. Why and how: docs/versioning.md.
 */
import { requirePerson } from '../core/approval-floor';
import { classify, type Diagnosis } from '../core/classify';
import type { PolicyRecords } from '../core/autonomy';
import type { Evidence } from '../core/evidence';
import { checkLimits, type LimitVerdict, type PastRemediation } from '../core/limits';
import { buildPlan, type Plan, type PlanStep } from '../core/plan';
import { renderPlan } from '../core/plan-render';
import { scopeFactsOf, scopeProblemOfFacts, type Scope, type ScopeFacts } from '../core/scope';
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
  /** Why the run needs a person, if it does: the plan then waits for one (core/approval-floor.ts). */
  needsPerson?: string;
  /**
   * The policies' past runs (activities/autonomy.ts `policyRecords`, recorded): what may earn a
   * `suggest` policy automatic mode. Absent in runs started before promotion existed.
   */
  records?: PolicyRecords;
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
  /**
   * Why the backend service is outside the worker's scope, when it is (docs/safety.md, "Scope"):
   * then the plan has no steps, and the run ends OUT_OF_SCOPE without changing anything.
   */
  outOfScope?: string;
}

/**
 * Decides from evidence with the policies the worker validated at start-up, inside the worker's
 * scope: a backend service outside it gets a plan without steps, whatever the policies say.
 */
export function decide(policies: PolicySet, input: DecideInput, scope: Scope): Decision {
  const diagnosis = classify(input.evidence);
  const outOfScope = scopeProblemOfFacts(scope, scopeFactsOf(input.evidence));
  const proposed = requirePerson(
    buildPlan(input.evidence, diagnosis, policies, input.labels, input.records),
    input.needsPerson,
  );
  const plan = outOfScope === undefined ? proposed : { ...proposed, steps: [] };
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
    ...(outOfScope !== undefined ? { outOfScope } : {}),
  };
}

export function createDecideActivities(policies: PolicySet, scope: Scope) {
  return {
    /** {@link decide} as a local activity of the remediation workflow. */
    async decide(input: DecideInput): Promise<Decision> {
      return decide(policies, input, scope);
    },
    /**
     * The scope check again, as the worker's scope says it now: after a wait for approval (the
     * worker may have been restarted with a narrower scope since the decision). Undefined: inside.
     */
    async scopeProblem(facts: ScopeFacts): Promise<string | undefined> {
      return scopeProblemOfFacts(scope, facts);
    },
  };
}
