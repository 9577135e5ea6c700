/**
 * Everything a remediation run knows, in one object: the handlers, the status query, the loop and the
 * rollback all read and write this, and nothing else holds state. A run that continues as new
 * carries it over (workflows/continuation.ts), so it is plain data and bounded: the incidents by
 * core/incidents.ts, the timeline and the refused decisions by {@link STATE_BOUNDS}.
 */
import type { Decision } from '../activities/decide';
import type { Diagnosis } from '../core/classify';
import type { Evidence } from '../core/evidence';
import type { PastRemediation } from '../core/limits';
import { attachIncident, boundedIncident, NO_OVERFLOW, type IncidentOverflow } from '../core/incidents';
import type { Incident, Outcome, RemediationInput } from '../core/model';
import type { Mutation } from '../core/mutation';
import type { SiblingHealth } from '../core/impact';
import type { LockAnswer } from '../core/one-writer';
import type { Plan, PlanApproval, PlanStep } from '../core/plan';

export { incidentKey } from '../core/incidents';

/**
 * An approval or a rejection that counted, with when it arrived (workflow time, ISO) and, when signed,
 * the proof: the key's fingerprint, the payload and its signature as received.
 */
export interface Decided {
  approver: string;
  reason?: string;
  at: string;
  /** The plan hash it named. */
  plan?: string;
  key?: string;
  payload?: string;
  signature?: string;
  /** When the signer made it (the payload's `issued`): approvalTtl counts from here. */
  issued?: string;
}

/**
 * The approval being waited for: what a decision must name and who may sign it. Plain JSON, so a run
 * that continues as new can carry it.
 */
export interface PendingApproval {
  /** The run id a payload must name. */
  run: string;
  /** The hash of the plan waiting (activities/plan-hash.ts). */
  plan: string;
  rendered: string;
  rules: PlanApproval;
  /** Once approved: whether a fresh read of the resources gave the same plan, or which one instead. */
  check?: { fresh: true } | { fresh: false; plan: string; rendered: string };
}

/** A step that was applied, with the mutation that restores what the snapshot read. */
export interface AppliedStep {
  step: PlanStep;
  restore: Mutation;
}

/** The resource locks of a run (workflows/locks.ts). */
export interface LockBook {
  /** Resource keys whose lock the run holds, in the order it took them. */
  readonly held: string[];
  /** The latest answer of each lock the run asked for. */
  readonly answers: Record<string, LockAnswer>;
  /** The key whose last write this run stopped short of undoing, and escalated. */
  flipFlop?: string;
}

export interface TimelineEntry {
  at: string;
  phase: string;
  note: string;
}

export const STATE_BOUNDS = {
  /** Timeline entries kept: the first ones, then the latest (a note says how many were left out). */
  timeline: 200,
  timelineHead: 20,
  /** Refused approvals and rejections kept, the latest (a storm of wrong approvers is counted, not kept). */
  ignored: 50,
} as const;

/** The part of the state a continue-as-new carries. */
export interface CarriedState {
  phase: string;
  incidents: Incident[];
  overflow: IncidentOverflow;
  /**
   * Why this run needs a person, once anything said so (an alert's label, a plan, the fleet breaker,
   * an earlier run that ended waiting): it never becomes automatic again, continuations included.
   */
  needsPerson?: string;
  diagnosis?: Diagnosis;
  plan?: Plan;
  renderedPlan?: string;
  awaitingApproval: boolean;
  approvalDeadline?: string;
  /**
   * The approval being waited for. Carried over a continue-as-new as it is, its `run` included: a
   * signed decision names the run that asked for it (the first run of the wait), and still verifies
   * in any later run of the chain.
   */
  approval?: PendingApproval;
  approvals: Decided[];
  rejection?: Decided;
  /** Approvals and rejections that were refused, with why (the latest STATE_BOUNDS.ignored). */
  ignored: string[];
  ignoredCount: number;
  applied: AppliedStep[];
  /** When this run last changed something (ISO): a later round reads the LB log from there on. */
  changedAt?: string;
  timeline: TimelineEntry[];
  timelineDropped: number;
  continuedAsNew: number;
  /** The resource locks (workflows/locks.ts): a run never continues as new while it holds one. */
  locks: LockBook;
  /** The other backend services the applied changes reach, as healthy as they were before (workflows/siblings.ts). */
  siblings: SiblingHealth[];
}

/** Where a run may continue as new (workflows/continuation.ts), and what the next run needs to go on. */
export interface ResumePoint {
  round: number;
  evidence: Evidence;
  decision: Decision;
  /** The closed runs the limits were judged on. */
  past: PastRemediation[];
}

export interface Continuation extends ResumePoint {
  /** Waiting for approval, or approved and held by a kill switch. */
  stage: 'approval' | 'gate';
  state: CarriedState;
}

/** A remediation's input; `continued` only when an earlier run of it continued as new. */
export interface RemediationRunInput extends RemediationInput {
  continued?: Continuation;
}

export interface RunState extends Omit<CarriedState, 'incidents'> {
  readonly input: RemediationRunInput;
  readonly workflowId: string;
  /** Set once, when the run ends. */
  outcome?: Outcome;
  /** The first incidents attached, keyed by id and state (core/incidents.ts); the rest are counted. */
  readonly incidents: Map<string, Incident>;
  /** Set by the `recheck` signal: a run held by a kill switch reads it again. */
  recheck: boolean;
}

export function newRunState(
  input: RemediationRunInput,
  workflowId: string,
  carried?: CarriedState,
): RunState {
  const incidents = new Map<string, Incident>();
  const overflow = { ...(carried?.overflow ?? NO_OVERFLOW) };
  for (const i of carried?.incidents ?? input.incidents)
    attachIncident(incidents, overflow, boundedIncident(i));
  const { incidents: _, ...rest } = carried ?? fresh();
  return { ...rest, overflow, input, workflowId, incidents, recheck: false };
}

function fresh(): CarriedState {
  return {
    phase: 'STARTING',
    incidents: [],
    overflow: NO_OVERFLOW,
    awaitingApproval: false,
    approvals: [],
    ignored: [],
    ignoredCount: 0,
    applied: [],
    timeline: [],
    timelineDropped: 0,
    continuedAsNew: 0,
    locks: { held: [], answers: {} },
    siblings: [],
  };
}

/** The state to carry over a continue-as-new. */
export function carriedState(s: RunState): CarriedState {
  const { input: _i, workflowId: _w, outcome: _o, recheck: _r, incidents, ...rest } = s;
  return { ...rest, incidents: [...incidents.values()] };
}
