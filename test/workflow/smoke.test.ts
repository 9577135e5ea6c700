import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SA } from '../../core/search-attributes';
import { scopeOfProjects } from '../../core/scope';
import { shippedPolicies } from '../helpers/approvers';
import { createWorker } from '../../runtime/worker';
import type { BackendHealth } from '../../activities/backend-health';
import { startDevServer } from '../helpers/temporal';
import { startSim, type SimHarness } from '../helpers/sim';

let env: TestWorkflowEnvironment;
let sim: SimHarness;

before(async () => {
  [env, sim] = await Promise.all([startDevServer(), startSim('healthy')]);
});
after(async () => {
  await Promise.all([env?.teardown(), sim?.stop()]);
});

test('smoke: a workflow on the real dev server reads health through the real compute client', async () => {
  const taskQueue = `smoke-${process.pid}`;
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    clients: sim.clients,
    policies: shippedPolicies(),
    scope: scopeOfProjects([sim.project]),
    temporal: env.client,
  });
  const workflowId = `inspect-${Date.now()}`;
  const health = (await worker.runUntil(
    env.client.workflow.execute('inspectBackendWorkflow', {
      taskQueue,
      workflowId,
      args: [{ project: sim.project, backendService: 'web-bs' }],
    }),
  )) as BackendHealth;
  assert.ok(health.total >= 2, `instances seen: ${health.total}`);
  assert.equal(health.healthy, health.total);
  const description = await env.client.workflow.getHandle(workflowId).describe();
  assert.equal(description.status.name, 'COMPLETED');
  assert.equal(description.typedSearchAttributes.get(SA.backendService), 'web-bs');
  assert.equal(description.typedSearchAttributes.get(SA.phase), 'DONE');
});
