/**
 * `lbmedic approve` and `lbmedic reject`: a person's decision on a plan that waits. approve uses the
 * workflow's update so the caller hears at once whether it was accepted (the validator refuses a
 * wrong approver, a second approval by the same person, or nothing to approve); reject is a signal.
 */
import { parseArgs } from 'node:util';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { ApprovalRequest } from '../core/model';
import type { Config } from '../runtime/config';
import { approveUpdate, rejectSignal } from '../workflows/definitions';
import { UsageError } from './flags';
import { consoleOutput, type Output } from './output';
import { EXIT, oneWorkflowId, run, timeoutFlag, withClient } from './remediation-client';

export const APPROVE_USAGE = `  lbmedic approve <workflow-id> [--as NAME] [--reason TEXT] [--timeout SEC]
      Approves through the workflow's update: prints the result, or the refusal (exit 3).`;

export const REJECT_USAGE = `  lbmedic reject <workflow-id> [--as NAME] [--reason TEXT] [--timeout SEC]
      Rejects the pending plan (a signal; check with status). --as defaults to $USER.`;

const DECISION_OPTIONS = {
  as: { type: 'string' },
  reason: { type: 'string' },
  timeout: { type: 'string' },
} as const;

function decisionFrom(values: { as?: string; reason?: string }): ApprovalRequest {
  const approver = values.as ?? process.env.USER;
  if (!approver) throw new UsageError('say who you are with --as NAME ($USER is not set)');
  return { approver, ...(values.reason ? { reason: values.reason } : {}) };
}

/** The refusal a validator or handler threw, without the SDK's wrapping. */
function refusalMessage(err: WorkflowUpdateFailedError): string {
  return err.cause?.message ?? err.message;
}

/** Approves through the `approve` update: prints the result, or the workflow's refusal (exit 3). */
export async function cmdApprove(
  args: string[],
  config: Config,
  io: Output = consoleOutput(),
): Promise<number> {
  return run('approve', APPROVE_USAGE, io, async () => {
    const { values, positionals } = parseArgs({ args, options: DECISION_OPTIONS, allowPositionals: true });
    const workflowId = oneWorkflowId(positionals);
    const request = decisionFrom(values);
    const timeoutMs = timeoutFlag(values.timeout);
    return withClient(config, async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      try {
        const result = await client.withDeadline(Date.now() + timeoutMs, () =>
          handle.executeUpdate(approveUpdate, { args: [request] }),
        );
        io.out(
          `approved by ${request.approver}: ${result.approvals}/${result.required} approval${result.required === 1 ? '' : 's'}, phase ${result.phase}`,
        );
        return EXIT.ok;
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          io.err(`refused: ${refusalMessage(err)}`);
          return EXIT.refused;
        }
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadlineExceeded(err)) {
          io.err(
            `no answer from ${workflowId} within ${timeoutMs / 1000}s: is an lbmedic worker running on its task queue?`,
          );
          return EXIT.failed;
        }
        throw err;
      }
    });
  });
}

function isDeadlineExceeded(err: unknown): boolean {
  // gRPC status 4 (DEADLINE_EXCEEDED), possibly wrapped by the SDK.
  for (let e = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === 4) return true;
  }
  return false;
}

/** Rejects through the `reject` signal (signals get no answer: check with `lbmedic status`). */
export async function cmdReject(
  args: string[],
  config: Config,
  io: Output = consoleOutput(),
): Promise<number> {
  return run('reject', REJECT_USAGE, io, async () => {
    const { values, positionals } = parseArgs({ args, options: DECISION_OPTIONS, allowPositionals: true });
    const workflowId = oneWorkflowId(positionals);
    const request = decisionFrom(values);
    const timeoutMs = timeoutFlag(values.timeout);
    return withClient(config, async (client) => {
      await client.withDeadline(Date.now() + timeoutMs, () =>
        client.workflow.getHandle(workflowId).signal(rejectSignal, request),
      );
      io.out(
        `rejection by ${request.approver} sent to ${workflowId}; \`lbmedic status ${workflowId}\` shows whether it counted`,
      );
      return EXIT.ok;
    });
  });
}
