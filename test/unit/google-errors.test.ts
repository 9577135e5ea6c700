import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import {
  GoogleApiError,
  toActivityFailure,
  toGoogleApiError,
  withFailureMapping,
} from '../../activities/google-errors';

const body = (code: number, reason: string, message = 'boom') =>
  JSON.stringify({ error: { code, message, errors: [{ message, domain: 'global', reason }] } });

test('Google errors are classified once: status, reason, retryable', () => {
  const table: { name: string; thrown: unknown; status: number; reason: string; retryable: boolean }[] = [
    {
      name: 'REST 503',
      thrown: { status: 503, message: body(503, 'backendError') },
      status: 503,
      reason: 'backendError',
      retryable: true,
    },
    {
      name: 'REST 429',
      thrown: { status: 429, message: body(429, 'rateLimitExceeded') },
      status: 429,
      reason: 'rateLimitExceeded',
      retryable: true,
    },
    {
      name: 'REST 403',
      thrown: { status: 403, message: body(403, 'forbidden') },
      status: 403,
      reason: 'forbidden',
      retryable: false,
    },
    {
      name: 'REST 404',
      thrown: { status: 404, message: body(404, 'notFound') },
      status: 404,
      reason: 'notFound',
      retryable: false,
    },
    {
      name: 'REST 412',
      thrown: { status: 412, message: body(412, 'conditionNotMet') },
      status: 412,
      reason: 'conditionNotMet',
      retryable: false,
    },
    {
      name: 'logging form (status, no errors[])',
      thrown: {
        status: 400,
        message: JSON.stringify({ error: { code: 400, message: 'bad filter', status: 'INVALID_ARGUMENT' } }),
      },
      status: 400,
      reason: 'INVALID_ARGUMENT',
      retryable: false,
    },
    {
      name: 'timeout (no status)',
      thrown: new Error('The operation was aborted.'),
      status: 0,
      reason: 'unreachable',
      retryable: true,
    },
    {
      name: 'gRPC UNAVAILABLE',
      thrown: { code: 14, message: '14 UNAVAILABLE: x' },
      status: 503,
      reason: 'unknown',
      retryable: true,
    },
    {
      name: 'gRPC PERMISSION_DENIED',
      thrown: { code: 7, message: '7 PERMISSION_DENIED' },
      status: 403,
      reason: 'unknown',
      retryable: false,
    },
  ];
  for (const row of table) {
    const e = toGoogleApiError(row.thrown, 'op');
    assert.equal(e.status, row.status, row.name);
    assert.equal(e.reason, row.reason, row.name);
    assert.equal(e.retryable, row.retryable, row.name);
  }
});

test('the message says what failed, in Google words', () => {
  const e = toGoogleApiError(
    { status: 404, message: body(404, 'notFound', "The resource 'x' was not found") },
    'backendServices.get',
  );
  assert.equal(e.message, "backendServices.get: 404 notFound: The resource 'x' was not found");
  assert.equal(toGoogleApiError(e, 'other'), e);
});

test('activity failures: permanent Google errors are non-retryable, others pass through', async () => {
  const permanent = toActivityFailure(new GoogleApiError('no', 403, 'forbidden', false, 'op'));
  assert.ok(permanent instanceof ApplicationFailure);
  assert.equal(permanent.nonRetryable, true);
  assert.equal(permanent.type, 'GoogleApiPermanent');
  const transient = toActivityFailure(new GoogleApiError('later', 503, 'backendError', true, 'op'));
  assert.ok(transient instanceof ApplicationFailure);
  assert.equal(transient.nonRetryable, false);
  const plain = new Error('bug');
  assert.equal(toActivityFailure(plain), plain);

  const wrapped = withFailureMapping({
    fails: async () => {
      throw new GoogleApiError('no', 404, 'notFound', false, 'op');
    },
  });
  await assert.rejects(
    wrapped.fails(),
    (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable,
  );
});
