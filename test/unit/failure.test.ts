import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { failureMessage } from '../../core/failure';

const google = ApplicationFailure.create({
  type: 'GoogleApiPermanent',
  message: 'healthChecks.patch web-hc: 403 forbidden: Required permission missing',
  cause: new Error('raw GaxiosError JSON'),
});
const wrapped = (cause: Error) =>
  new ActivityFailure(
    'Activity task failed',
    'applyMutation',
    '7',
    RetryState.NON_RETRYABLE_FAILURE,
    '',
    cause,
  );

test('one message per failure, table-style', () => {
  const rows: { name: string; err: unknown; message: string }[] = [
    {
      name: 'an activity failure says what its cause says',
      err: wrapped(google),
      message: 'healthChecks.patch web-hc: 403 forbidden: Required permission missing',
    },
    {
      name: 'an ApplicationFailure keeps its own message, not its raw cause',
      err: google,
      message: 'healthChecks.patch web-hc: 403 forbidden: Required permission missing',
    },
    {
      name: 'a plain error with a cause: the cause',
      err: new Error('read failed', { cause: new Error('connection reset') }),
      message: 'connection reset',
    },
    { name: 'a plain error', err: new TypeError('x is undefined'), message: 'x is undefined' },
    {
      name: 'a cause that is not an Error is not a message',
      err: new Error('outer', { cause: 'inner' }),
      message: 'outer',
    },
    { name: 'not an Error at all', err: 'gone', message: 'gone' },
    { name: 'undefined', err: undefined, message: 'undefined' },
  ];
  for (const r of rows) assert.equal(failureMessage(r.err), r.message, r.name);
});
