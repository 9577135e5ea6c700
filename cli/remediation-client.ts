/**
 * What `lbmedic approve | reject | status | history` share: a Temporal client from the config, their
 * exit codes, the body wrapper that turns a wrong command line into exit 2 and a missing workflow
 * into exit 1, and the workflow-id and `--timeout` flags.
 */
import { Client, Connection } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Config } from '../runtime/config';
import { temporalConnectionOptions } from '../runtime/connection';
import { isUsageError, UsageError } from './flags';
import type { Output } from './output';

/** Exit codes: 0 done, 1 could not (not found, no answer), 2 usage, 3 the workflow refused. */
export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

/** How long approve/reject/status wait for Temporal (and a worker) to answer. */
const DEFAULT_TIMEOUT_SEC = 30;

/** Runs `fn` with a client of the configured namespace, then closes the connection. */
export async function withClient<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    return await fn(new Client({ connection, namespace: config.temporalNamespace }));
  } finally {
    await connection.close();
  }
}

/** Runs a command body, turning bad flags into exit 2 and a missing workflow into exit 1. */
export async function run(
  command: string,
  usage: string,
  io: Output,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (isUsageError(err)) {
      io.err(`lbmedic ${command}: ${err.message}\n\nUsage:\n${usage}`);
      return EXIT.usage;
    }
    if (err instanceof WorkflowNotFoundError) {
      io.err(`lbmedic ${command}: no running remediation ${err.workflowId} (${err.message})`);
      return EXIT.failed;
    }
    throw err;
  }
}

/** `--timeout SEC` in ms (default 30 s). */
export function timeoutFlag(value: string | undefined): number {
  const sec = Number(value ?? DEFAULT_TIMEOUT_SEC);
  if (!Number.isFinite(sec) || sec <= 0)
    throw new UsageError(`--timeout must be seconds > 0, got "${value}"`);
  return sec * 1000;
}

/** The one positional argument: a workflow id. */
export function oneWorkflowId(positionals: string[]): string {
  const [id, ...extra] = positionals;
  if (!id) throw new UsageError('give the workflow id, e.g. lbmedic/demo-project/web-bs');
  if (extra.length > 0) throw new UsageError(`one workflow id, got ${positionals.length}`);
  return id;
}
