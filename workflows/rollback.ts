/**
 * The rollback saga: every applied step is undone in reverse from the snapshot taken before it, and
 * then every resource is read again to check it holds its snapshot. A rollback that did not take
 * ends as ROLLBACK_FAILED, with what is still off, and is escalated: it is never swallowed.
 */
import { isCancellation, uuid4 } from '@temporalio/workflow';
import { failureMessage } from '../core/failure';
import type { RemediationResult, RunRecord } from './record';
import { mutations, reads } from './stubs';

export async function rollBack(rec: RunRecord, why: string): Promise<RemediationResult> {
  const s = rec.s;
  if (s.plan?.rollback === 'never' || s.applied.length === 0) {
    return rec.finish({
      outcome: 'ESCALATED',
      summary: `${why}; ${s.applied.length === 0 ? 'nothing was changed' : 'the policy forbids rollback'}`,
    });
  }
  rec.setPhase('ROLLING_BACK', `${why}: restoring ${s.applied.length} resource(s) from the snapshot`);
  const restores = [...s.applied].reverse().map((a) => a.restore);
  const failed: string[] = [];
  for (const restore of restores) {
    try {
      await mutations.applyMutation.executeWithOptions({ summary: `roll back ${restore.kind}` }, [
        { project: s.input.project, mutation: restore, requestId: uuid4() },
      ]);
    } catch (err) {
      failed.push(failureMessage(err));
    }
  }
  rec.setPhase('VERIFYING_ROLLBACK', 'checking every resource holds its snapshot again');
  let off: string[];
  try {
    off = await reads.checkRestored({ project: s.input.project, restores });
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Not knowing whether the snapshot holds again is as bad as knowing it does not.
    off = [`the restored state could not be checked: ${failureMessage(err)}`];
  }
  if (failed.length > 0 || off.length > 0) {
    return rec.finish({
      outcome: 'ROLLBACK_FAILED',
      summary: `${why}; rollback incomplete: ${[...failed, ...off].join('; ')} — a person must act now`,
    });
  }
  return rec.finish({
    outcome: 'ROLLED_BACK',
    summary: `${why}; every change was rolled back and the snapshot restored; escalated`,
  });
}
