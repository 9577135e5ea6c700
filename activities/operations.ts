/**
 * Waiting for Compute operations. A compute mutation returns an Operation that nobody polls for us:
 * `operations.wait` returns when the operation is DONE *or* when its own deadline nears (best effort),
 * so we loop until DONE, then read `error.errors[]`: a DONE operation can still have failed.
 */
import type { protos } from '@google-cloud/compute';
import type { GcpClients } from './gcp-clients';
import { GoogleApiError } from './google-errors';

type Operation = protos.google.cloud.compute.v1.IOperation;

/** The compute enum value of `Operation.Status.DONE`, in case a client decodes enums as numbers. */
const DONE_ENUM = 2104194;

function lastSegment(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  return url.split('/').filter(Boolean).pop();
}

export function isDone(op: Operation): boolean {
  return op.status === 'DONE' || (op.status as unknown) === DONE_ENUM;
}

/** What a mutation call resolves to: `[ExtendedOperation]` whose `latestResponse` is the Operation. */
export function operationOf(result: unknown): Operation {
  const first = Array.isArray(result) ? (result[0] as unknown) : result;
  const latest = (first as { latestResponse?: Operation } | undefined)?.latestResponse;
  if (!latest?.name) throw new Error('the compute call did not return an operation');
  return latest;
}

export interface WaitOptions {
  /** Give up after this many ms (default 10 minutes). */
  timeoutMs?: number;
  /** Called after each poll, for progress reporting (activity heartbeats). */
  onPoll?: (op: Operation) => void;
}

/** Polls `wait` until the operation is DONE; throws {@link GoogleApiError} if it failed or timed out. */
export async function waitForOperation(
  clients: Pick<GcpClients, 'globalOperations' | 'zoneOperations' | 'regionOperations'>,
  project: string,
  operation: Operation,
  opts: WaitOptions = {},
): Promise<Operation> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  let op = operation;
  const name = op.name ?? '';
  while (!isDone(op)) {
    if (Date.now() > deadline) {
      throw new GoogleApiError(
        `operation ${name} not DONE in time`,
        0,
        'operationTimeout',
        true,
        `wait ${name}`,
      );
    }
    const zone = lastSegment(op.zone);
    const region = lastSegment(op.region);
    if (zone) [op] = await clients.zoneOperations.wait({ project, zone, operation: name });
    else if (region) [op] = await clients.regionOperations.wait({ project, region, operation: name });
    else [op] = await clients.globalOperations.wait({ project, operation: name });
    opts.onPoll?.(op);
  }
  const first = op.error?.errors?.[0];
  if (first) {
    const status = op.httpErrorStatusCode ?? 400;
    const message = `operation ${name} (${op.operationType ?? 'unknown'} ${op.targetLink ?? ''}) failed: ${
      first.message ?? first.code ?? 'unknown error'
    }`;
    throw new GoogleApiError(
      message,
      status,
      first.code ?? 'operationFailed',
      status === 429 || status >= 500,
      `wait ${name}`,
    );
  }
  return op;
}
