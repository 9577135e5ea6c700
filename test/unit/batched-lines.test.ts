import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { batchedLines } from '../../receiver/server';

test('log lines of one event-loop turn are written together, in order; flush writes what waits', async () => {
  const writes: string[] = [];
  const out = batchedLines((chunk) => writes.push(chunk));
  out.line('a');
  out.line('b');
  assert.deepEqual(writes, [], 'nothing written within the turn');
  await nextTurn();
  assert.deepEqual(writes, ['a\nb\n']);
  out.line('c');
  out.flush();
  assert.deepEqual(writes, ['a\nb\n', 'c\n'], 'flush (on close) writes at once');
  await nextTurn();
  assert.equal(writes.length, 2, 'nothing written twice');
});
