/**
 * Google API errors, thrown by handlers and rendered once by the server.
 *
 * Compute answers in the legacy v1 form (`errors[]` with `domain`/`reason`) and, like other Google
 * APIs, also carries the canonical `status` (whether Compute itself sends `status` is unverified, see
 * gcp-facts §8). Logging and Monitoring answer in the standard `{code, message, status}` form.
 */

export type ApiService = 'compute' | 'logging' | 'monitoring' | 'control';

export type ErrorReason =
  | 'invalid'
  | 'badRequest'
  | 'parseError'
  | 'notFound'
  | 'forbidden'
  | 'alreadyExists'
  | 'conditionNotMet'
  | 'rateLimitExceeded'
  | 'backendError'
  | 'internalError'
  | 'resourceNotReady'
  | 'resourceInUseByAnotherResource'
  | 'failedPrecondition'
  | 'payloadTooLarge';

const CANONICAL_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_REASON: Record<number, ErrorReason> = {
  400: 'invalid',
  403: 'forbidden',
  404: 'notFound',
  409: 'alreadyExists',
  412: 'conditionNotMet',
  413: 'payloadTooLarge',
  429: 'rateLimitExceeded',
  500: 'backendError',
  503: 'backendError',
};

/** An error that maps to one Google error response. */
export class ApiError extends Error {
  readonly httpStatus: number;
  readonly reason: ErrorReason;
  /** Canonical code name (`NOT_FOUND`, …); overrides the default for the HTTP status. */
  readonly status: string;

  constructor(httpStatus: number, message: string, reason?: ErrorReason, status?: string) {
    super(message);
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
    this.reason = reason ?? DEFAULT_REASON[httpStatus] ?? 'backendError';
    this.status = status ?? CANONICAL_STATUS[httpStatus] ?? 'UNKNOWN';
  }
}

export const invalid = (message: string): ApiError => new ApiError(400, message, 'invalid');
export const badRequest = (message: string): ApiError => new ApiError(400, message, 'badRequest');
export const failedPrecondition = (message: string): ApiError =>
  new ApiError(400, message, 'failedPrecondition', 'FAILED_PRECONDITION');
export const notFound = (resourcePath: string): ApiError =>
  new ApiError(404, `The resource '${resourcePath}' was not found`, 'notFound');
export const alreadyExists = (resourcePath: string): ApiError =>
  new ApiError(409, `The resource '${resourcePath}' already exists`, 'alreadyExists');
export const conditionNotMet = (message: string): ApiError => new ApiError(412, message, 'conditionNotMet');

/** What a fault of a given status looks like, worded like GCP's own messages. */
export function faultError(httpStatus: number): ApiError {
  switch (httpStatus) {
    case 429:
      return new ApiError(429, 'Quota exceeded for quota metric (simulated fault).', 'rateLimitExceeded');
    case 403:
      return new ApiError(403, 'Required permission is missing (simulated fault).', 'forbidden');
    case 503:
      return new ApiError(503, 'The service is currently unavailable (simulated fault).', 'backendError');
    case 500:
      return new ApiError(500, 'Internal error (simulated fault).', 'backendError');
    default:
      return new ApiError(httpStatus, `Simulated fault ${httpStatus}.`);
  }
}

/** Anything thrown by a handler becomes an ApiError; unexpected ones are 500s. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, `Internal error in the simulator: ${message}`, 'internalError');
}

/** The JSON body of an error response, in the form the service uses. */
export function errorBody(err: ApiError, service: ApiService): { error: Record<string, unknown> } {
  if (service === 'compute') {
    return {
      error: {
        code: err.httpStatus,
        message: err.message,
        errors: [{ message: err.message, domain: 'global', reason: err.reason }],
        status: err.status,
      },
    };
  }
  return { error: { code: err.httpStatus, message: err.message, status: err.status } };
}

/** The `error` block of a failed compute operation (`Operation.error.errors[]` uses codes, not reasons). */
export function operationErrorFields(err: ApiError): Record<string, unknown> {
  const code =
    err.reason === 'notFound'
      ? 'RESOURCE_NOT_FOUND'
      : err.reason === 'conditionNotMet'
        ? 'CONDITION_NOT_MET'
        : err.reason === 'alreadyExists'
          ? 'RESOURCE_ALREADY_EXISTS'
          : err.status;
  return {
    error: { errors: [{ code, message: err.message }] },
    httpErrorStatusCode: err.httpStatus,
    httpErrorMessage: httpReason(err.httpStatus),
  };
}

function httpReason(status: number): string {
  const phrases: Record<number, string> = {
    400: 'BAD REQUEST',
    403: 'FORBIDDEN',
    404: 'NOT FOUND',
    409: 'CONFLICT',
    412: 'PRECONDITION FAILED',
    429: 'TOO MANY REQUESTS',
    500: 'INTERNAL SERVER ERROR',
    503: 'SERVICE UNAVAILABLE',
  };
  return phrases[status] ?? 'ERROR';
}
