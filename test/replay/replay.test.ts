/**
 * Replay: every history recorded by test/replay/record.ts must replay against today's workflow code,
 * or workflows running when a new worker is deployed would fail. The run parked in AWAITING_APPROVAL
 * must also replay when the decision code has changed: decisions run in the recorded `decide` local
 * activity, never in the sandbox (docs/versioning.md). A deliberately changed workflow must not
 * replay: proof that the test can fail.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { bundleWorkflowCode, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { installRuntime, WORKFLOWS_PATH } from '../../runtime/worker';
import { historyFromJson } from './history-json';

const HISTORIES = fileURLToPath(new URL('histories/', import.meta.url));
const CHANGED_WORKFLOW = fileURLToPath(new URL('fixtures/changed-remediation.ts', import.meta.url));
const DECIDES_IN_SANDBOX = fileURLToPath(new URL('fixtures/decides-in-sandbox.ts', import.meta.url));
const PARKED = 'backend-timeout-awaiting-approval.json';
const FILES = readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .sort();

/**
 * The decision modules and the fixtures that decide differently (classify finds nothing, buildPlan
 * never asks for approval, checkLimits forbids everything). Keys are absolute paths without an
 * extension: webpack matches them against every relative import of the module (`./classify`,
 * `../core/plan`), and not against the fixtures' own `….ts` imports of the real modules.
 */
const CHANGED_DECISIONS = Object.fromEntries(
  ['classify', 'plan', 'limits'].map((m) => [
    fileURLToPath(new URL(`../../core/${m}`, import.meta.url)),
    fileURLToPath(new URL(`fixtures/changed-decisions/${m}.ts`, import.meta.url)),
  ]),
);

/** A recorded history with the workflow id its run had (the server records it in the start event). */
function load(file: string): HistoryAndWorkflowId {
  const json = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')) as {
    events: { workflowExecutionStartedEventAttributes?: { workflowId?: string } }[];
  };
  const workflowId = json.events[0]?.workflowExecutionStartedEventAttributes?.workflowId;
  if (!workflowId) throw new Error(`${file}: the start event names no workflow id; record it again`);
  return { workflowId, history: historyFromJson(json) };
}

async function replay(
  workflows: { workflowsPath: string } | { workflowBundle: { code: string } },
  histories: HistoryAndWorkflowId[],
): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const r of Worker.runReplayHistories(workflows, histories)) results.push(r);
  return results;
}

/** The workflows at `workflowsPath`, bundled with the decision modules swapped for the fixtures. */
async function bundleWithChangedDecisions(workflowsPath: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: Runtime.instance().logger,
    webpackConfigHook: (config) => ({
      ...config,
      resolve: { ...config.resolve, alias: { ...config.resolve?.alias, ...CHANGED_DECISIONS } },
    }),
  });
  return code;
}

before(() => installRuntime());

test('the recorded remediations are there', () => {
  assert.deepEqual(FILES, [
    'backend-timeout-approved.json',
    PARKED,
    'firewall-missing-rolled-back.json',
    'port-moved-remediated.json',
  ]);
});

test('every recorded history replays against the current workflows', async (t) => {
  const results = await replay({ workflowsPath: WORKFLOWS_PATH }, FILES.map(load));
  assert.equal(results.length, FILES.length, 'one result per history');
  for (const [i, file] of FILES.entries()) {
    await t.test(file, () => {
      const error = results[i]?.error;
      assert.equal(error, undefined, `${file} no longer replays: ${String(error)}`);
    });
  }
});

test('the parked history ends while the run waits for approval', () => {
  const events = historyFromJson(JSON.parse(readFileSync(join(HISTORIES, PARKED), 'utf8'))).events ?? [];
  assert.ok(
    events.some((e) => e.timerStartedEventAttributes),
    'the approval timeout is running',
  );
  assert.ok(events.at(-1)?.workflowTaskCompletedEventAttributes, 'the last workflow task completed');
  assert.ok(
    !events.some(
      (e) => e.workflowExecutionCompletedEventAttributes || e.workflowExecutionUpdateAcceptedEventAttributes,
    ),
    'no decision and no end: the run is parked',
  );
});

test('the swap of decision modules reaches code that imports them in the sandbox', async () => {
  const code = await bundleWithChangedDecisions(DECIDES_IN_SANDBOX);
  for (const m of ['classify', 'buildPlan', 'checkLimits']) {
    assert.ok(code.includes(`replay fixture: ${m} changed`), `${m} was swapped for its fixture`);
  }
});

test('the parked run replays when the decision code has changed: decisions are not in the sandbox', async () => {
  const code = await bundleWithChangedDecisions(WORKFLOWS_PATH);
  const [result] = await replay({ workflowBundle: { code } }, [load(PARKED)]);
  assert.ok(result, 'one result');
  assert.equal(result.error, undefined, `the parked run no longer replays: ${String(result.error)}`);
});

test('a workflow whose commands changed fails replay with a DeterminismViolationError', async () => {
  const [result] = await replay({ workflowsPath: CHANGED_WORKFLOW }, [load('port-moved-remediated.json')]);
  const error = result?.error;
  assert.ok(error instanceof DeterminismViolationError, `expected a determinism error, got ${String(error)}`);
  assert.equal(error.name, 'DeterminismViolationError');
  assert.match(error.message, /pastRemediations/);
  assert.match(error.message, /readBackendService/);
});
