/**
 * One remediation per backend service: a burst of alerts for one backend is one run; alerts for
 * five backends are five runs at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RemediationResult } from '../../workflows/remediation';
import { eventually } from '../helpers/sim';
import { wrongPortTiers } from '../helpers/scenarios';
import { removeDir, startStack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let dir: string;
before(async () => {
  env = await startDevServer();
  dir = mkdtempSync(join(tmpdir(), 'lbmedic-scenario-'));
});
after(async () => {
  await env?.teardown();
  removeDir(dir);
});

test('20 alerts for one backend in a burst: one remediation, every alert attached to it', async () => {
  const stack = await startStack(env, 'hc-wrong-port');
  try {
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stack.alert('web-bs', { incidentId: `burst-${i % 10}` })),
    );
    assert.equal(new Set(ids).size, 1, 'one workflow id');
    const handle = env.client.workflow.getHandle(ids[0]!);
    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    const runs = await eventually('visibility', async () => {
      const found = [];
      for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${ids[0]}'` })) found.push(wf);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(runs.length, 1, 'one run');
    const d = await handle.describe();
    assert.deepEqual(
      d.memo?.incidents,
      Array.from({ length: 10 }, (_, i) => `burst-${i}`).sort(),
      '10 distinct incidents, repeats folded',
    );
    let signals = 0;
    for (const e of (await handle.fetchHistory()).events ?? [])
      if (e.workflowExecutionSignaledEventAttributes?.signalName === 'alert') signals++;
    assert.equal(signals, 20);
  } finally {
    await stack.stop();
  }
});

test('alerts for 5 backends: 5 remediations, running at the same time', async () => {
  const stack = await startStack(env, wrongPortTiers(dir, 5, 2, 2));
  try {
    const ids = await Promise.all([1, 2, 3, 4, 5].map((i) => stack.alert(`web${i}-bs`)));
    assert.equal(new Set(ids).size, 5);
    const results = (await Promise.all(
      ids.map((id) => env.client.workflow.getHandle(id).result()),
    )) as RemediationResult[];
    assert.deepEqual(
      results.map((r) => r.outcome),
      Array(5).fill('REMEDIATED'),
    );
    const times = await Promise.all(ids.map((id) => env.client.workflow.getHandle(id).describe()));
    const lastStart = Math.max(...times.map((t) => t.startTime.getTime()));
    const firstClose = Math.min(...times.map((t) => t.closeTime?.getTime() ?? Infinity));
    assert.ok(lastStart < firstClose, 'every run had started before the first one finished');
  } finally {
    await stack.stop();
  }
});

test('the same incident delivered again after its remediation ended: DUPLICATE, nothing changed', async () => {
  const stack = await startStack(env, 'hc-wrong-port');
  try {
    const id = await stack.alert('web-bs', { incidentId: 'inc-42' });
    const first = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(first.outcome, 'REMEDIATED');
    // Visibility is eventually consistent: wait until the closed run is listed.
    await eventually('the closed run in visibility', async () => {
      for await (const wf of env.client.workflow.list({
        query: `WorkflowId = '${id}' AND ExecutionStatus = 'Completed'`,
      })) {
        return wf;
      }
      return undefined;
    });
    await stack.alert('web-bs', { incidentId: 'inc-42' });
    const again = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(again.outcome, 'DUPLICATE', again.summary);
    assert.deepEqual(again.applied, []);
  } finally {
    await stack.stop();
  }
});
