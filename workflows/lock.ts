/**
 * The lock on one GCP resource: a workflow per resource key (core/one-writer.ts), started by the first
 * remediation that asks for it. It grants the lock to one remediation at a time, in the order they
 * asked; the holder gives it back when its run ends, saying what it left changed, and the lock keeps
 * that for the policy's window so a later remediation that would set it back can stop (no flip-flops).
 *
 * A holder whose run ended without giving it back (terminated, timed out, a bug) is noticed: while the
 * lock is held it asks every `holderCheckSec` whether the holder's run is still open, and takes the
 * lock back when it is not. It ends once nobody holds or waits and the last write's window is over;
 * its history is bounded by continuing as new, carrying its state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LastWrite, LockAnswer, Requester } from '../core/one-writer';
import {
  lockAnswerSignal,
  lockReleaseSignal,
  lockRequestSignal,
  lockStateQuery,
  type LockState,
} from './lock-definitions';

export interface LockInput {
  key: string;
  holderCheckSec: number;
  /** Carried over by continue-as-new. */
  state?: LockState;
}

/** Events after which the lock continues as new (well below Temporal's limits). */
const MAX_HISTORY = 2_000;

const { workflowOpen } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

const same = (a: Requester | undefined, b: Requester) =>
  a !== undefined && a.workflowId === b.workflowId && a.runId === b.runId;
const now = () => new Date().toISOString();

/** The lock workflow (registered as core/one-writer.ts `LOCK_WORKFLOW`). */
export async function resourceLockWorkflow(input: LockInput): Promise<void> {
  const st: LockState = input.state ?? { key: input.key, queue: [], reclaimed: [] };
  /** Waiting requesters not yet told who holds the lock. */
  const untold: Requester[] = [...st.queue];
  setHandler(lockRequestSignal, ({ requester }) => {
    if (same(st.holder, requester) || st.queue.some((q) => same(q, requester))) return;
    st.queue.push(requester);
    untold.push(requester);
  });
  setHandler(lockReleaseSignal, (rel) => {
    if (!same(st.holder, rel.requester)) {
      st.queue = st.queue.filter((q) => !same(q, rel.requester));
      return;
    }
    st.holder = undefined;
    if (rel.wrote) st.lastWrite = { ...rel.wrote, by: rel.requester };
    if (rel.flipFlopEscalated && st.lastWrite) st.lastWrite.escalatedBy ??= rel.requester.workflowId;
  });
  setHandler(lockStateQuery, () => st);

  const tell = async (to: Requester, answer: LockAnswer): Promise<boolean> => {
    try {
      await getExternalWorkflowHandle(to.workflowId, to.runId).signal(lockAnswerSignal, answer);
      return true;
    } catch {
      // The asker's run has ended: nobody to answer.
      return false;
    }
  };
  const liveWrite = (): LastWrite | undefined =>
    st.lastWrite && Date.parse(st.lastWrite.until) > Date.now() ? st.lastWrite : undefined;

  for (;;) {
    const next = st.holder ? undefined : st.queue.shift();
    if (next) {
      st.holder = { ...next, since: now() };
      const lastWrite = liveWrite();
      const answer = { key: st.key, granted: true, ...(lastWrite ? { lastWrite } : {}) };
      if (!(await tell(next, answer))) st.holder = undefined;
      continue;
    }
    for (const q of untold.splice(0)) {
      if (!st.queue.some((x) => same(x, q))) continue;
      const holder = st.holder?.workflowId;
      if (!(await tell(q, { key: st.key, granted: false, ...(holder ? { holder } : {}) })))
        st.queue = st.queue.filter((x) => !same(x, q));
    }
    if (st.holder) {
      const holder = st.holder;
      const changed = await condition(
        () => st.holder !== holder || untold.length > 0,
        input.holderCheckSec * 1000,
      );
      if (!changed && st.holder === holder && !(await workflowOpen(holder))) {
        st.reclaimed.push(
          `${holder.workflowId} (run ${holder.runId}) ended holding the lock; taken back at ${now()}`,
        );
        st.holder = undefined;
      }
      continue;
    }
    if (st.queue.length > 0) continue;
    if (workflowInfo().historyLength > MAX_HISTORY) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof resourceLockWorkflow>({ ...input, state: st });
    }
    const left = st.lastWrite ? Date.parse(st.lastWrite.until) - Date.now() : 0;
    if (left <= 0) return;
    await condition(() => st.queue.length > 0, left);
  }
}
