/**
 * Everything a remediation run knows, in one object: the handlers, the status query, the loop and the
 * rollback all read and write this, and nothing else holds state.
 */
import type { Diagnosis } from '../core/classify';
import type { Incident, Outcome, RemediationInput } from '../core/model';
import type { Mutation } from '../core/mutation';
import type { SiblingHealth } from '../core/impact';
import type { LockAnswer } from '../core/one-writer';
import type { Plan, PlanApproval, PlanStep } from '../core/plan';

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

export interface RunState {
  readonly input: RemediationInput;
  readonly workflowId: string;
  phase: string;
  /** Set once, when the run ends. */
  outcome?: Outcome;
  /** Keyed by incident id and state: the same delivery twice is one incident. */
  readonly incidents: Map<string, Incident>;
  /** Every finding of the run: the first round's, then what later rounds added. */
  diagnosis?: Diagnosis;
  /** The unit of change (a later round extends it) and how it reads. */
  plan?: Plan;
  renderedPlan?: string;
  awaitingApproval: boolean;
  approvalDeadline?: string;
  approval?: PendingApproval;
  readonly approvals: Decided[];
  rejection?: Decided;
  /** Approvals and rejections that were refused, with why (the latest {@link MAX_IGNORED}). */
  readonly ignored: string[];
  readonly applied: AppliedStep[];
  /** When this run last changed something (ISO): a later round reads the LB log from there on. */
  changedAt?: string;
  readonly timeline: TimelineEntry[];
  readonly locks: LockBook;
  /** The other backend services the applied changes reach, as healthy as they were before (workflows/siblings.ts). */
  readonly siblings: SiblingHealth[];
}

/** Refusals kept in the state (all of them are in history: the verdicts and the update results). */
export const MAX_IGNORED = 20;

export const incidentKey = (i: Incident) => `${i.incidentId}/${i.state}`;

export function newRunState(input: RemediationInput, workflowId: string): RunState {
  return {
    input,
    workflowId,
    phase: 'STARTING',
    incidents: new Map(input.incidents.map((i) => [incidentKey(i), i])),
    awaitingApproval: false,
    approvals: [],
    ignored: [],
    applied: [],
    timeline: [],
    locks: { held: [], answers: {} },
    siblings: [],
  };
}
