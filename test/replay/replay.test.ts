/**
 * Replay: every history recorded by test/replay/record.ts must replay against today's workflow code,
 * or workflows running when a new worker is deployed would fail. A deliberately changed workflow must
 * not replay: proof that the test can fail.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { installRuntime, WORKFLOWS_PATH } from '../../runtime/worker';
import { historyFromJson } from './history-json';

const HISTORIES = fileURLToPath(new URL('histories/', import.meta.url));
const CHANGED_WORKFLOW = fileURLToPath(new URL('fixtures/changed-remediation.ts', import.meta.url));
const FILES = readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** A recorded history with the workflow id its run had (the server records it in the start event). */
function load(file: string): HistoryAndWorkflowId {
  const json = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')) as {
    events: { workflowExecutionStartedEventAttributes?: { workflowId?: string } }[];
  };
  const workflowId = json.events[0]?.workflowExecutionStartedEventAttributes?.workflowId;
  if (!workflowId) throw new Error(`${file}: the start event names no workflow id; record it again`);
  return { workflowId, history: historyFromJson(json) };
}

async function replay(workflowsPath: string, histories: HistoryAndWorkflowId[]): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const r of Worker.runReplayHistories({ workflowsPath }, histories)) results.push(r);
  return results;
}

before(() => installRuntime());

test('the three recorded remediations are there', () => {
  assert.deepEqual(FILES, [
    'backend-timeout-approved.json',
    'firewall-missing-rolled-back.json',
    'port-moved-remediated.json',
  ]);
});

test('every recorded history replays against the current workflows', async (t) => {
  const results = await replay(WORKFLOWS_PATH, FILES.map(load));
  assert.equal(results.length, FILES.length, 'one result per history');
  for (const [i, file] of FILES.entries()) {
    await t.test(file, () => {
      const error = results[i]?.error;
      assert.equal(error, undefined, `${file} no longer replays: ${String(error)}`);
    });
  }
});

test('a workflow whose commands changed fails replay with a DeterminismViolationError', async () => {
  const [result] = await replay(CHANGED_WORKFLOW, [load('port-moved-remediated.json')]);
  const error = result?.error;
  assert.ok(error instanceof DeterminismViolationError, `expected a determinism error, got ${String(error)}`);
  assert.equal(error.name, 'DeterminismViolationError');
  assert.match(error.message, /pastRemediations/);
  assert.match(error.message, /readBackendService/);
});
