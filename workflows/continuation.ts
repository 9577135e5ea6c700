/**
 * Continue-as-new for a remediation that waits long (for a person's approval, or for a kill switch
 * to be turned off) while alerts, approvals and checks keep adding to its history. The run carries
 * its whole state to the next: the incidents it kept and counted, why it needs a person, the plan and
 * the decision it waits on, the approvals so far and their deadline, what it already applied. The
 * next run goes on exactly where this one stopped, and approving it by workflow id reaches it.
 */
import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import { continueAsNewKeepingRecord, historyFull } from './history-watch';
import type { RunRecord } from './record';
import { carriedState, type Continuation, type RemediationRunInput, type ResumePoint } from './state';

export type { Continuation, RemediationRunInput, ResumePoint } from './state';

/**
 * Should the run continue as new now: its history is full, and it holds no resource lock (a lock
 * is granted to a run id, so a run that holds one waits on in this run; workflows/locks.ts).
 */
export function shouldContinueAsNew(rec: RunRecord): boolean {
  return historyFull() && rec.s.locks.held.length === 0;
}

/** Is this round the one a continuation resumes, and at which stage? */
export function resumedAt(input: RemediationRunInput, round: number): Continuation | undefined {
  return input.continued?.round === round ? input.continued : undefined;
}

/**
 * Continues as new from `stage`, once every notification went out and every handler has finished
 * (nothing in flight is lost): the run ends here and its continuation starts. Returns only when
 * `still` turned false meanwhile (an approval in flight completed the count): then this run goes on,
 * and the handler that completed it (waiting for the re-read) is answered here.
 */
export async function continueFrom(
  rec: RunRecord,
  stage: Continuation['stage'],
  point: ResumePoint,
  still: () => boolean = () => true,
): Promise<void> {
  const info = workflowInfo();
  rec.note(
    `continuing as new (history: ${info.historyLength} events, ${Math.round(info.historySize / 1024)} KB); ` +
      (stage === 'approval' ? 'still waiting for approval' : 'still held by the kill switch'),
  );
  await rec.notified();
  await condition(() => allHandlersFinished() || !still());
  if (!still()) {
    rec.note('not continuing as new: the wait ended meanwhile');
    return;
  }
  rec.s.continuedAsNew += 1;
  const continued: Continuation = { ...point, stage, state: carriedState(rec.s) };
  return continueAsNewKeepingRecord<(input: RemediationRunInput) => Promise<unknown>>({
    ...rec.s.input,
    incidents: [],
    continued,
  });
}
