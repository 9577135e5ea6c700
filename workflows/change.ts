/**
 * Making the change: read every resource first (the snapshot a rollback restores), then apply the
 * steps one by one. Undoing it is workflows/rollback.ts.
 */
import { uuid4 } from '@temporalio/workflow';
import { failureMessage } from '../core/failure';
import type { Mutation } from '../core/mutation';
import type { PlanStep } from '../core/plan';
import type { RunRecord } from './record';
import { missingFromSnapshot, snapshotProblem } from './rules';
import { recordSiblings } from './siblings';
import type { AppliedStep } from './state';
import { mutations, reads } from './stubs';

/**
 * Reads every resource before changing it, and how healthy the other backend services it reaches are:
 * each step with its restore, or the problem in words.
 */
export async function takeSnapshot(rec: RunRecord, steps: PlanStep[]): Promise<AppliedStep[] | string> {
  rec.setPhase('SNAPSHOT', `reading ${steps.length} resource(s) before changing them`);
  let snapshot: { stepId: string; restore: Mutation }[];
  try {
    snapshot = await reads.snapshot({ project: rec.s.input.project, steps });
    await recordSiblings(rec, steps);
  } catch (err) {
    return snapshotProblem(err);
  }
  const pairs = steps.flatMap((step) => {
    const taken = snapshot.find((x) => x.stepId === step.id);
    return taken ? [{ step, restore: taken.restore }] : [];
  });
  return missingFromSnapshot(steps, pairs) ?? pairs;
}

/** Applies the steps in order; stops at the first failure and returns it (the caller rolls back). */
export async function applySteps(rec: RunRecord, steps: AppliedStep[]): Promise<string | undefined> {
  rec.setPhase('APPLYING', `applying ${steps.length} change(s)`);
  let failure: string | undefined;
  for (const { step, restore } of steps) {
    try {
      const result = await mutations.applyMutation.executeWithOptions(
        {
          summary: `apply ${step.id}: ${step.changes.map((c) => `${c.field} ${c.before}→${c.after}`).join(', ')}`,
        },
        [{ project: rec.s.input.project, mutation: step.apply, requestId: uuid4() }],
      );
      rec.s.applied.push({ step, restore });
      rec.s.changedAt = new Date().toISOString();
      rec.note(`${result} ${step.id}`);
    } catch (err) {
      failure = `${step.id}: ${failureMessage(err)}`;
      rec.note(`apply failed: ${failure}`);
      break;
    }
  }
  rec.recordActions();
  return failure;
}
