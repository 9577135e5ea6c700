/**
 * When a long-lived run must continue as new: Temporal suggests it (history count or size past the
 * server's thresholds, or too many updates), or the history passed lbmedic's own bounds, kept well
 * below the server's hard limits (50 Ki events, 50 MB) for servers configured otherwise. And how:
 * with its memo and search attributes, so the next run is never without them (a kill switch read
 * in that gap would read as off).
 */
import { makeContinueAsNewFunc, workflowInfo, type Workflow } from '@temporalio/workflow';

/**
 * Kept low on purpose: a worker that lost a run from its cache replays the whole history in one
 * workflow task (about a millisecond per event measured here), and a replay must finish well within
 * the task's timeout on a loaded machine.
 */
export const HISTORY_BOUNDS = { events: 4_000, bytes: 8 * 1024 * 1024 } as const;

export function historyFull(): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested ||
    info.historyLength > HISTORY_BOUNDS.events ||
    info.historySize > HISTORY_BOUNDS.bytes
  );
}

/** Continues as new with `args`; the next run starts with this run's memo and search attributes. */
export function continueAsNewKeepingRecord<F extends Workflow>(...args: Parameters<F>): Promise<never> {
  const info = workflowInfo();
  return makeContinueAsNewFunc<F>({
    ...(info.memo ? { memo: info.memo } : {}),
    typedSearchAttributes: info.typedSearchAttributes,
  })(...args);
}
