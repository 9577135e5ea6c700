/**
 * Everything a remediation run knows, in one object: the handlers, the status query, the loop and the
 * rollback all read and write this, and nothing else holds state.
 */
import type { Diagnosis } from '../core/classify';
import type { ApprovalRequest, Incident, Outcome, RemediationInput } from '../core/model';
import type { Mutation } from '../core/mutation';
import type { SiblingHealth } from '../core/impact';
import type { LockAnswer } from '../core/one-writer';
import type { Plan, PlanStep } from '../core/plan';

/** An approval or a rejection, with when it arrived (workflow time, ISO). */
export interface Decided extends ApprovalRequest {
  at: string;
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
  readonly approvals: Decided[];
  rejection?: Decided;
  /** Approvals and rejections that were refused, with why. */
  readonly ignored: string[];
  readonly applied: AppliedStep[];
  readonly timeline: TimelineEntry[];
  readonly locks: LockBook;
  /** The other backend services the applied changes reach, as healthy as they were before (workflows/siblings.ts). */
  readonly siblings: SiblingHealth[];
}

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
