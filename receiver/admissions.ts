/**
 * How the receiver asks a project's governor (workflows/governor.ts) to admit alerts: by
 * update-with-start, which starts the governor when none runs. Temporal allows only a few updates in
 * flight per workflow (10 by default) and each costs the governor a workflow task, so a receiver
 * keeps at most one admission in flight per project and sends whatever arrived meanwhile as the next
 * batch (group commit): an alert storm on new backend services becomes a few dozen updates, not
 * thousands. Transient refusals (the governor continuing as new, too many updates in flight from
 * other receivers) are retried until the caller's deadline.
 */
import {
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { MAX_ALERTS_PER_ADMISSION, type AdmitRequest, type AdmitResult } from '../core/fleet';
import { GOVERNOR_WORKFLOW, governorWorkflowId } from '../core/model';
import { admitUpdate } from '../workflows/control-definitions';

export interface GovernorTarget {
  client: Client;
  /** Where the governors run. */
  governorTaskQueue: string;
  /** Where the remediations they start run. */
  taskQueue: string;
  /** How long one admission may take, ms. */
  timeoutMs: number;
}

/** gRPC codes a retry can cure: RESOURCE_EXHAUSTED (updates in flight), UNAVAILABLE (update aborted). */
const RETRYABLE_CODES = new Set([8, 14]);

function retryable(err: unknown): boolean {
  // The governor refuses admissions for the moment it continues as new: its next run takes them.
  if (err instanceof WorkflowUpdateFailedError) return /continuing as new/.test(String(err.cause?.message));
  for (let e = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && RETRYABLE_CODES.has(e.code)) return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One admit update (with the governor's start), retried while the refusal is transient. */
export async function sendAdmissions(
  target: GovernorTarget,
  project: string,
  reqs: AdmitRequest[],
): Promise<AdmitResult[]> {
  const { client } = target;
  const deadline = Date.now() + target.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const start = new WithStartWorkflowOperation(GOVERNOR_WORKFLOW, {
      workflowId: governorWorkflowId(project),
      taskQueue: target.governorTaskQueue,
      args: [{ project, taskQueue: target.taskQueue }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      return await client.connection.withDeadline(deadline, () =>
        client.workflow.executeUpdateWithStart(admitUpdate, { args: [reqs], startWorkflowOperation: start }),
      );
    } catch (err) {
      const backoff = Math.min(50 * 2 ** attempt, 1000);
      if (!retryable(err) || Date.now() + backoff >= deadline) throw err;
      await sleep(backoff);
    }
  }
}

interface Waiting {
  req: AdmitRequest;
  resolve(result: AdmitResult): void;
  reject(err: unknown): void;
}

/** The admissions of one receiver: per project, one update in flight and the rest batched behind it. */
export class Admissions {
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(
    private readonly send: (project: string, reqs: AdmitRequest[]) => Promise<AdmitResult[]>,
    private readonly maxBatch = MAX_ALERTS_PER_ADMISSION,
  ) {}

  /** Resolves with the governor's answer for this alert. */
  admit(project: string, req: AdmitRequest): Promise<AdmitResult> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(project);
      if (queue) {
        queue.push({ req, resolve, reject });
        return;
      }
      this.waiting.set(project, [{ req, resolve, reject }]);
      void this.drain(project);
    });
  }

  /** Sends batches for `project` until nothing waits; while it runs, new alerts join the queue. */
  private async drain(project: string): Promise<void> {
    const queue = this.waiting.get(project)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      try {
        const results = await this.send(
          project,
          batch.map((w) => w.req),
        );
        batch.forEach((w, i) => {
          const r = results[i];
          if (r) w.resolve(r);
          else w.reject(new Error('the governor answered fewer alerts than it was sent'));
        });
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.waiting.delete(project);
  }
}
