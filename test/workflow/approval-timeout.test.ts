/**
 * Approval timeout on the time-skipping server: nobody approves within the policy's hour, and the
 * remediation escalates with nothing changed, without the test waiting an hour.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RemediationResult } from '../../workflows/remediation';
import { startStack } from '../helpers/stack';
import { startTimeSkippingServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTimeSkippingServer();
});
after(async () => {
  await env?.teardown();
});

test('approval timeout (time-skipping): APPROVAL_TIMEOUT, escalated, nothing changed', async () => {
  const stack = await startStack(env, 'backend-timeout');
  try {
    const id = await stack.alert('web-bs');
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'APPROVAL_TIMEOUT', result.summary);
    assert.match(result.summary, /no approval within 3600s; escalated/);
    assert.deepEqual(result.applied, []);
    const [bs] = await stack.sim.clients.backendServices.get({
      project: stack.sim.project,
      backendService: 'web-bs',
    });
    assert.equal(Number(bs.timeoutSec), 30);
  } finally {
    await stack.stop();
  }
});
