/**
 * `lbmedic approve` and `lbmedic reject`: a person's decision on a plan that waits, signed with their
 * SSH key over the run and the exact plan hash the status query reports (cli/decision.ts). approve
 * uses the workflow's update so the caller hears at once whether it counted, and why not; reject is a
 * signal (check with status).
 */
import { parseArgs } from 'node:util';
import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { DecisionKind } from '../core/approval-payload';
import type { Config } from '../runtime/config';
import { approveUpdate, rejectSignal, statusQuery } from '../workflows/definitions';
import { DECISION_OPTIONS, pendingOf, prepareDecision, type Prepared } from './decision';
import { consoleOutput, type Output } from './output';
import { EXIT, oneWorkflowId, run, timeoutFlag, withClient } from './remediation-client';

const SIGNING = `Signs the run id and plan hash from the status query, with --key FILE or your key in ssh-agent,
      after showing the plan (--yes: without asking). --print-payload prints the payload to sign with
      \`ssh-keygen -Y sign -n lbmedic\`; --payload FILE --signature FILE sends one signed that way.`;

export const APPROVE_USAGE = `  lbmedic approve <workflow-id> [--key FILE] [--as NAME] [--reason TEXT] [--yes] [--timeout SEC]
                  [--print-payload | --payload FILE --signature FILE]
      Approves through the workflow's update: prints the result, or the refusal (exit 3).
      ${SIGNING}`;

export const REJECT_USAGE = `  lbmedic reject <workflow-id> [--key FILE] [--as NAME] [--reason TEXT] [--yes] [--timeout SEC]
                 [--print-payload | --payload FILE --signature FILE]
      Rejects the pending plan (a signal; check with status), signed like approve.`;

/** The refusal a validator or handler threw, without the SDK's wrapping. */
function refusalMessage(err: WorkflowUpdateFailedError): string {
  return err.cause?.message ?? err.message;
}

function isDeadlineExceeded(err: unknown): boolean {
  // gRPC status 4 (DEADLINE_EXCEEDED), possibly wrapped by the SDK.
  for (let e = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === 4) return true;
  }
  return false;
}

/**
 * Reads the status, prepares (and signs) the decision, then hands it to `send`; prints the payload
 * instead for --print-payload.
 */
async function decide(
  command: DecisionKind,
  usage: string,
  args: string[],
  config: Config,
  io: Output,
  send: (
    client: Client,
    workflowId: string,
    prepared: Extract<Prepared, { send: unknown }>,
    timeoutMs: number,
  ) => Promise<number>,
): Promise<number> {
  return run(command, usage, io, async () => {
    const { values, positionals } = parseArgs({ args, options: DECISION_OPTIONS, allowPositionals: true });
    const workflowId = oneWorkflowId(positionals);
    const timeoutMs = timeoutFlag(values.timeout);
    return withClient(config, async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const [description, status] = await client.withDeadline(Date.now() + timeoutMs, () =>
        Promise.all([handle.describe(), handle.query(statusQuery)]),
      );
      if (description.status.name !== 'RUNNING') {
        io.err(`lbmedic ${command}: no running remediation ${workflowId} (it is ${description.status.name})`);
        return EXIT.failed;
      }
      const pending = pendingOf(status);
      if (!pending) {
        io.err(
          `refused: nothing to ${command} (phase ${status.phase}${status.outcome ? `, ${String(status.outcome)}` : ''})`,
        );
        return EXIT.refused;
      }
      const prepared = await prepareDecision(io, workflowId, command, pending, values);
      if ('print' in prepared) {
        io.out(prepared.print.trimEnd());
        return EXIT.ok;
      }
      if ('declined' in prepared) {
        io.err('nothing sent');
        return EXIT.refused;
      }
      return send(client, workflowId, prepared, timeoutMs);
    });
  });
}

/** Approves through the `approve` update: prints the result, or the workflow's refusal (exit 3). */
export async function cmdApprove(
  args: string[],
  config: Config,
  io: Output = consoleOutput(),
): Promise<number> {
  return decide(
    'approve',
    APPROVE_USAGE,
    args,
    config,
    io,
    async (client, workflowId, prepared, timeoutMs) => {
      try {
        const result = await client.withDeadline(Date.now() + timeoutMs, () =>
          client.workflow.getHandle(workflowId).executeUpdate(approveUpdate, { args: [prepared.send] }),
        );
        io.out(
          `approved by ${result.approver}${result.key ? ` with ${result.key}` : ''}: ${result.approvals}/${result.required} approval${result.required === 1 ? '' : 's'}, phase ${result.phase}`,
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
    },
  );
}

/** Rejects through the `reject` signal (signals get no answer: check with `lbmedic status`). */
export async function cmdReject(
  args: string[],
  config: Config,
  io: Output = consoleOutput(),
): Promise<number> {
  return decide('reject', REJECT_USAGE, args, config, io, async (client, workflowId, prepared, timeoutMs) => {
    await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.getHandle(workflowId).signal(rejectSignal, prepared.send),
    );
    io.out(
      `rejection by ${prepared.approver} sent to ${workflowId}; \`lbmedic status ${workflowId}\` shows whether it counted`,
    );
    return EXIT.ok;
  });
}
