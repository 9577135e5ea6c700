/**
 * `lbmedic setup temporal` on a real dev server started *without* lbmedic's search attributes, the way
 * a fresh cluster is: the first run adds them, the next finds them, a type conflict is an error.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../core/search-attributes';
import { setupTemporalSearchAttributes } from '../../runtime/search-attributes';
import { findTemporalCli } from '../../runtime/temporal-binaries';
import { installRuntime } from '../../runtime/worker';

let env: TestWorkflowEnvironment;
before(async () => {
  installRuntime();
  const cli = findTemporalCli();
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      ip: '127.0.0.1',
      extraArgs: ['--log-level', 'error', '--namespace', 'lbmedic-conflict'],
    },
  });
});
after(async () => {
  await env?.teardown();
});

const names = ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort();

test('adds the missing search attributes once; the second run finds them all', async () => {
  const first = await setupTemporalSearchAttributes(env.connection, 'default');
  assert.deepEqual([...first.added].sort(), names);
  assert.deepEqual(first.existing, []);
  const listed = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  for (const name of names) assert.ok(name in (listed.customAttributes ?? {}), name);

  const second = await setupTemporalSearchAttributes(env.connection, 'default');
  assert.deepEqual(second.added, []);
  assert.deepEqual([...second.existing].sort(), names);
});

test('a name registered with another type is reported, not changed', async () => {
  // 1 = INDEXED_VALUE_TYPE_TEXT; lbmedic needs LbmedicPhase as a Keyword.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'lbmedic-conflict',
    searchAttributes: { LbmedicPhase: 1 },
  });
  await assert.rejects(
    setupTemporalSearchAttributes(env.connection, 'lbmedic-conflict'),
    /namespace lbmedic-conflict: LbmedicPhase is TEXT, lbmedic needs KEYWORD/,
  );
});
