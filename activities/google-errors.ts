/**
 * The one place where errors from the Google clients are understood.
 *
 * In REST mode the clients throw a `GaxiosError` whose `code`/`status` is the HTTP status and whose
 * message is the raw error JSON; a timeout surfaces as an abort with no status. Everything else in
 * lbmedic works with {@link GoogleApiError}, which says whether trying again can help.
 */

import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../core/model';

/** HTTP statuses that a retry can cure (DESIGN: 429/5xx/timeouts are retryable with backoff). */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export class GoogleApiError extends Error {
  override readonly name = 'GoogleApiError';
  constructor(
    message: string,
    /** HTTP status, or 0 when no response arrived (timeout, connection refused). */
    readonly status: number,
    /** Google's `errors[].reason` (compute) or canonical `status` (logging/monitoring). */
    readonly reason: string,
    readonly retryable: boolean,
    /** What lbmedic was doing, e.g. `backendServices.get web-bs`. */
    readonly operation: string,
  ) {
    super(message);
  }
}

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    errors?: { reason?: string; message?: string }[];
  };
}

function parseBody(text: string): GoogleErrorBody | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(text.slice(start)) as GoogleErrorBody;
  } catch {
    return undefined;
  }
}

function numberOrZero(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : 0;
}

/** Turns anything a Google client threw into a {@link GoogleApiError}. Idempotent. */
export function toGoogleApiError(err: unknown, operation: string): GoogleApiError {
  if (err instanceof GoogleApiError) return err;
  const e = (err ?? {}) as {
    message?: unknown;
    status?: unknown;
    code?: unknown;
    response?: { data?: unknown };
  };
  const rawMessage = typeof e.message === 'string' ? e.message : String(err);
  const data = e.response?.data;
  const body = typeof data === 'object' && data !== null ? (data as GoogleErrorBody) : parseBody(rawMessage);
  const status = numberOrZero(e.status) || numberOrZero(body?.error?.code) || httpFromCode(e.code);
  const reason =
    body?.error?.errors?.[0]?.reason ?? body?.error?.status ?? (status === 0 ? 'unreachable' : 'unknown');
  const message = body?.error?.message ?? rawMessage;
  // No status at all means the request never got an answer (timeout, refused, reset): worth another try.
  const retryable = status === 0 || RETRYABLE_STATUS.has(status);
  const what = status === 0 ? reason : `${status} ${reason}`;
  return new GoogleApiError(`${operation}: ${what}: ${message}`, status, reason, retryable, operation);
}

/** Maps a numeric gRPC code (clients in gRPC mode) or an HTTP status to an HTTP status. */
function httpFromCode(code: unknown): number {
  if (typeof code !== 'number') return 0;
  if (code >= 100) return code;
  const grpcToHttp: Record<number, number> = {
    3: 400,
    4: 504,
    5: 404,
    6: 409,
    7: 403,
    8: 429,
    9: 400,
    13: 500,
    14: 503,
    16: 401,
  };
  return grpcToHttp[code] ?? 0;
}

/** Converts a thrown error into the ApplicationFailure Temporal records; non-Google errors pass through. */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof GoogleApiError)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.retryable ? FAILURE_TYPES.googleRetryable : FAILURE_TYPES.googlePermanent,
    nonRetryable: !err.retryable,
    details: [{ status: err.status, reason: err.reason, operation: err.operation }],
    cause: err,
  });
}

/** Wraps every activity function so Google errors become Temporal failures in one place. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toActivityFailure(err);
      }
    };
  }
  return wrapped as T;
}
