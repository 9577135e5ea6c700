/**
 * One tick of the health watch (docs/watch.md), started by the project's Temporal Schedule: read the
 * backend services in scope and decide (the `watchRead` activity), then hand what needs a
 * remediation to the project's governor (`watchAdmit`), the one admission point alerts go through.
 * Orchestration only. What a tick leaves for the next (its episodes, so that a problem keeps one
 * incident id; where the round of reads goes on) is its result, which the schedule gives the next
 * tick as `lastResult`.
 */
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WatchCarry, WatchInput, WatchReadResult } from '../activities/watch';
import { failureMessage } from '../core/failure';

/** A tick is short: a read that takes longer is retried once, and the schedule skips overlapping ticks. */
const calls = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 2 },
});

/** What a tick did, and what it leaves for the next one. */
export interface WatchTickResult extends WatchCarry, Omit<WatchReadResult, 'episodes' | 'cursor' | 'admit'> {
  /** When the tick read (ISO, workflow time). */
  at: string;
  /** What became of each episode handed to the governor: accepted, queued, fleet-limited, retry. */
  admitted: Record<string, string>;
}

/** The previous tick's carry, when there was one and it has the shape this code writes. */
function carried(last: unknown): WatchCarry | undefined {
  const c = last as Partial<WatchCarry> | undefined;
  if (!c || typeof c.episodes !== 'object' || c.episodes === null || typeof c.cursor !== 'number')
    return undefined;
  return { episodes: c.episodes, cursor: c.cursor };
}

export async function watchWorkflow(input: WatchInput): Promise<WatchTickResult> {
  const at = new Date().toISOString();
  const previous = carried(workflowInfo().lastResult);
  const r = await calls.watchRead({ ...input, ...(previous ? { previous } : {}) });
  const { admit, episodes: decided, ...rest } = r;
  let episodes = decided;
  let admitted: Record<string, string> = {};
  const notes = [...r.notes];
  if (admit.length > 0) {
    try {
      ({ episodes, results: admitted } = await calls.watchAdmit({
        project: input.project,
        taskQueue: input.taskQueue,
        governorTaskQueue: input.governorTaskQueue,
        episodes,
        admit,
      }));
    } catch (err) {
      // Nothing is marked admitted: the next tick hands the same episodes over again.
      notes.push(`the governor did not take the watch's findings: ${failureMessage(err)}`);
      log.warn('watch: admission failed', { error: failureMessage(err) });
    }
  }
  return { ...rest, episodes, at, admitted, notes };
}
