/**
 * The I/O of the resource locks (core/one-writer.ts, workflows/lock.ts): asking a lock workflow for
 * a resource, starting it if nobody holds it yet, and telling whether a holder's run is still open, so
 * that a run that died holding a lock (terminated, timed out, failed) does not hold it forever.
 */
import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import {
  LOCK_SIGNALS,
  LOCK_WORKFLOW,
  lockWorkflowId,
  type LockRequest,
  type Requester,
} from '../core/one-writer';

export interface LockOptions {
  /** How often a lock checks that its holder's run is still open, seconds (default 30). */
  holderCheckSec?: number;
}

export function createLockActivities(temporal: Client, opts: LockOptions = {}) {
  const holderCheckSec = opts.holderCheckSec ?? 30;
  return {
    /**
     * Asks for the lock on `key` with signal-with-start: the lock workflow starts on the caller's task
     * queue if it is not running, and answers the requester with a signal. Asking twice is harmless
     * (the lock ignores a requester it already knows), so a retried activity asks once.
     */
    async requestLock(req: LockRequest): Promise<void> {
      await temporal.workflow.signalWithStart(LOCK_WORKFLOW, {
        workflowId: lockWorkflowId(req.key),
        taskQueue: Context.current().info.taskQueue,
        args: [{ key: req.key, holderCheckSec }],
        signal: LOCK_SIGNALS.request,
        signalArgs: [req],
      });
    },

    /** Is this run still open? A run that no longer exists is not. */
    async workflowOpen(run: Requester): Promise<boolean> {
      try {
        const d = await temporal.workflow.getHandle(run.workflowId, run.runId).describe();
        return d.status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
  };
}
