/**
 * The loop's own rules, pure and unit-tested: when a first round stops the run, what a snapshot
 * problem says, and what an error that reaches the top of the run does. They run in the sandbox: a
 * change that alters the commands of a recorded history goes through `patched()` (docs/versioning.md).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ContinueAsNew,
  isCancellation,
  TemporalFailure,
} from '@temporalio/workflow';
import type { Decision } from '../activities/decide';
import { failureMessage } from '../core/failure';
import { FAILURE_TYPES, type Outcome } from '../core/model';
import type { Ending } from './record';

/** The first round found nothing wrong: the run ends before any plan is recorded. */
export const NO_FAULT_ENDING: Ending = {
  outcome: 'NO_FAULT',
  summary: 'no fault found: backends healthy, no 5xx',
};

/**
 * The first round decides whether lbmedic acts at all. How the run ends when it must not: nothing it
 * may change, a dry run, or limits that forbid it now; undefined when it may go on.
 */
export function firstRoundEnding(d: Decision): Ending | undefined {
  const { plan, diagnosis } = d;
  if (diagnosis.verdict === 'UNKNOWN' || plan.steps.length === 0) {
    const why =
      plan.escalations.map((e) => `${e.cause}: ${e.humanFix}`).join('; ') || diagnosis.notes.join('; ');
    return {
      outcome: 'ESCALATED',
      summary: `nothing lbmedic may change: ${why || 'the cause is unknown'}`,
      details: d.rendered,
    };
  }
  // Before dry-run: an observe policy never applies, whatever else would have stopped it.
  if (plan.autonomy?.mode === 'observe') {
    return {
      outcome: 'OBSERVED',
      summary: `plan recorded and notified, nothing changed (${plan.autonomy.why})`,
      details: d.rendered,
    };
  }
  if (plan.dryRun) {
    return {
      outcome: 'DRY_RUN',
      summary: `plan recorded, nothing changed (${plan.dryRunReasons.join('; ')})`,
    };
  }
  if (!d.limits.allowed)
    return { outcome: 'BLOCKED_BY_LIMITS', summary: d.limits.reason, details: d.rendered };
  return undefined;
}

/** A failed snapshot in words: drift (the resources changed since the diagnosis) or a failed read. */
export function snapshotProblem(err: unknown): string {
  const drifted =
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === FAILURE_TYPES.drift;
  return drifted
    ? `the resources changed since the diagnosis: ${failureMessage(err)}`
    : `the resources could not be read before changing them: ${failureMessage(err)}`;
}

/** Steps the snapshot returned nothing for cannot be restored: drift, never skipped. */
export function missingFromSnapshot(
  steps: { id: string }[],
  taken: { step: { id: string } }[],
): string | undefined {
  const missing = steps.filter((x) => !taken.some((t) => t.step.id === x.id)).map((x) => x.id);
  if (missing.length === 0) return undefined;
  return `the resources changed since the diagnosis: the snapshot has no entry for ${missing.join(', ')}`;
}

/**
 * What an error that reached the top of the run does (the error policy):
 * - `rethrow`: a cancellation, a continue-as-new (the run goes on in its continuation), or anything
 *   after the outcome was recorded, ends the run as it is; a
 *   programming error (not a Temporal failure) with nothing changed fails the workflow task, which
 *   Temporal retries, so a fixed worker continues the run from its history;
 * - `roll back`: after a change, anything unexpected undoes the unit of change;
 * - `escalate`: a Temporal failure (an activity that kept failing) with nothing changed.
 */
export function onFailure(
  err: unknown,
  s: { outcome?: Outcome | undefined; applied: readonly unknown[] },
): 'rethrow' | 'roll back' | 'escalate' {
  if (isCancellation(err) || err instanceof ContinueAsNew || s.outcome) return 'rethrow';
  if (s.applied.length > 0) return 'roll back';
  return err instanceof TemporalFailure ? 'escalate' : 'rethrow';
}
