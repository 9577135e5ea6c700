/**
 * Google Cloud failing during a remediation (issue 8), on a real dev server, the simulator and the real
 * Google clients; faults are injected through the simulator's control API (`/_sim/faults`):
 *  - 429/503 bursts on reads, on logging and on operation waits are retried and the fix still lands;
 *  - a 503 on the first mutation fails that activity once; Temporal retries it, it reads first and
 *    applies once: one operation per target;
 *  - a 403 on a mutation (refused at once, or the operation ending DONE with the error) leaves no
 *    partial change: the steps applied before it are rolled back and the remediation is escalated
 *    with the reason.
 * Every test reads the final state through the real compute client.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SA } from '../../core/search-attributes';
import type { RemediationResult } from '../../workflows/remediation';
import { BEFORE, FIX_STEPS, FIXED, mutationsOf, portState, PROBE_RULE, ZONE } from '../helpers/port-moved';
import { apiRequests, control, eventually, type SimHarness } from '../helpers/sim';
import { startStack, type Stack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
});

interface SimOperation {
  name: string;
  operationType: string;
  targetLink: string;
  status: string;
  error?: { errors?: { code?: unknown; message?: string }[] };
  httpErrorStatusCode?: number;
}

async function operations(sim: SimHarness): Promise<SimOperation[]> {
  const { operations: ops } = await control<{ operations: SimOperation[] }>(
    sim,
    'GET',
    `operations/${sim.project}`,
  );
  return ops;
}

/** The resource an operation changed: `healthChecks/web-hc`, `instanceGroups/web-ig`, … */
const target = (op: SimOperation) => op.targetLink.split('/').slice(-2).join('/');

async function fault(sim: SimHarness, spec: Record<string, unknown>) {
  return control<{ id: string }>(sim, 'POST', 'faults', spec);
}

async function remediate(stack: Stack): Promise<{ id: string; result: RemediationResult }> {
  const id = await stack.alert('web-bs');
  const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
  return { id, result };
}

/** Activity attempts recorded in the workflow's history, with each failed attempt's message. */
async function activityAttempts(id: string) {
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map<string, string>();
  const out: { summary: string; attempt: number; lastFailure?: string }[] = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      // The summary is a payload: JSON text of a string.
      const data = e.userMetadata?.summary?.data;
      const summary = data
        ? (JSON.parse(Buffer.from(data).toString('utf8')) as string)
        : (s.activityType?.name ?? '');
      scheduled.set(String(e.eventId), summary);
    }
    const st = e.activityTaskStartedEventAttributes;
    if (st) {
      out.push({
        summary: scheduled.get(String(st.scheduledEventId)) ?? '',
        attempt: st.attempt ?? 1,
        ...(st.lastFailure?.message ? { lastFailure: st.lastFailure.message } : {}),
      });
    }
  }
  return out;
}

test('429 and 503 bursts on reads, logging and operation waits: retried, REMEDIATED, each mutation once', async () => {
  const stack = await startStack(env, 'port-moved');
  try {
    const { sim } = stack;
    await fault(sim, { status: 503, count: 5, match: { service: 'compute', method: 'GET' } });
    await fault(sim, { status: 429, count: 3, match: { service: 'logging' } });
    await fault(sim, { status: 429, count: 2, match: { service: 'monitoring' } });
    await fault(sim, {
      status: 503,
      count: 3,
      match: { service: 'compute', path: '/operations/[^/]+/wait$' },
    });
    const { result } = await remediate(stack);
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    assert.deepEqual(result.applied, FIX_STEPS);

    const { faults } = await control<{ faults: unknown[] }>(sim, 'GET', 'faults');
    assert.deepEqual(faults, [], 'every injected fault fired');
    const requests = await apiRequests(sim);
    const failed = requests.filter((r) => r.status === 429 || r.status === 503);
    assert.equal(failed.length, 5 + 3 + 2 + 3, 'the faults were answered');
    assert.ok(
      failed.some((r) => r.method === 'POST' && /\/wait$/.test(r.path)),
      'an operation wait was refused and retried',
    );
    assert.equal(mutationsOf(requests).length, 3, 'three mutations, each sent once');
    assert.deepEqual(await portState(sim), FIXED);
    const ops = await operations(sim);
    assert.deepEqual(ops.map(target).sort(), [
      `firewalls/${PROBE_RULE}`,
      'healthChecks/web-hc',
      'instanceGroups/web-ig',
    ]);
    assert.ok(
      ops.every((op) => op.status === 'DONE' && !op.error),
      'every operation DONE without error',
    );
  } finally {
    await stack.stop();
  }
});

test('503 on the first mutation: the activity fails once, Temporal retries it, one operation per target', async () => {
  const stack = await startStack(env, 'port-moved');
  try {
    const { sim } = stack;
    await fault(sim, { status: 503, count: 1, match: { method: 'PATCH' } });
    const { id, result } = await remediate(stack);
    assert.equal(result.outcome, 'REMEDIATED', result.summary);

    const patches = (await apiRequests(sim)).filter(
      (r) => r.method === 'PATCH' && r.path.endsWith('/global/healthChecks/web-hc'),
    );
    assert.deepEqual(
      patches.map((r) => r.status),
      [503, 200],
      'the refused patch was sent again (the client does not retry mutations; Temporal does)',
    );
    const hcApplies = (await activityAttempts(id)).filter((a) =>
      a.summary.startsWith('apply healthCheck/web-hc'),
    );
    assert.deepEqual(
      hcApplies.map((a) => a.attempt),
      [2],
      'one activity, started on its second attempt (the history records the last attempt)',
    );
    assert.match(hcApplies[0]?.lastFailure ?? '', /503/, 'its first attempt failed with the 503');

    const ops = await operations(sim);
    assert.deepEqual(
      ops.map(target).sort(),
      [`firewalls/${PROBE_RULE}`, 'healthChecks/web-hc', 'instanceGroups/web-ig'],
      'exactly one operation per target',
    );
    assert.ok(ops.every((op) => op.status === 'DONE' && !op.error));
    assert.deepEqual(await portState(sim), FIXED);
  } finally {
    await stack.stop();
  }
});

test('403 on the firewall insert: the steps before it are rolled back, the firewall untouched, escalated with the reason', async () => {
  const stack = await startStack(env, 'port-moved');
  try {
    const { sim } = stack;
    await fault(sim, { status: 403, count: 0, match: { path: 'global/firewalls$', method: 'POST' } });
    const { id, result } = await remediate(stack);
    assert.equal(result.outcome, 'ROLLED_BACK', result.summary);
    assert.match(result.summary, new RegExp(`applying failed \\(firewall/${PROBE_RULE}: .*403`));
    assert.match(result.summary, /Required permission is missing/);
    assert.match(result.summary, /every change was rolled back.*escalated/);
    assert.deepEqual(result.applied, ['healthCheck/web-hc', `instanceGroup/${ZONE}/web-ig`]);

    assert.deepEqual(await portState(sim), BEFORE, 'no partial change left');
    const ops = await operations(sim);
    assert.deepEqual(
      ops.map((op) => [target(op), op.operationType]),
      [
        ['healthChecks/web-hc', 'patch'],
        ['instanceGroups/web-ig', 'setNamedPorts'],
        ['instanceGroups/web-ig', 'setNamedPorts'],
        ['healthChecks/web-hc', 'patch'],
      ],
      'applied, then restored in reverse order; nothing on the firewall',
    );
    const firewallWrites = (await apiRequests(sim)).filter(
      (r) => r.method !== 'GET' && r.path.includes('/firewalls'),
    );
    assert.deepEqual(
      firewallWrites.map((r) => r.status),
      [403],
      'a 403 is not retried',
    );

    const d = await env.client.workflow.getHandle(id).describe();
    assert.equal(d.typedSearchAttributes.get(SA.outcome), 'ROLLED_BACK');
    assert.match(String(d.memo?.summary), /^ROLLED_BACK: applying failed .*403/);
    const last = stack.notifications.at(-1);
    assert.equal(last?.outcome, 'ROLLED_BACK');
    assert.match(last?.summary ?? '', /403/, 'people are told why');
  } finally {
    await stack.stop();
  }
});

test('403 in the setNamedPorts operation (DONE with an error): surfaced, the health check rolled back, nothing half done', async () => {
  const stack = await startStack(env, 'port-moved');
  try {
    const { sim } = stack;
    await fault(sim, { status: 403, mode: 'operation', match: { method: 'POST', path: 'setNamedPorts' } });
    const { result } = await remediate(stack);
    assert.equal(result.outcome, 'ROLLED_BACK', result.summary);
    assert.match(
      result.summary,
      /applying failed \(instanceGroup\/us-central1-a\/web-ig: operation \S+ \(setNamedPorts .*\) failed: Required permission is missing/,
    );
    assert.deepEqual(result.applied, ['healthCheck/web-hc'], 'the failed step does not count as applied');

    assert.deepEqual(await portState(sim), BEFORE, 'no partial change left');
    const ops = await operations(sim);
    const failed = ops.filter((op) => op.error);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.operationType, 'setNamedPorts');
    assert.equal(failed[0]?.httpErrorStatusCode, 403);
    assert.equal(failed[0]?.status, 'DONE');
    assert.deepEqual(
      ops.map((op) => [target(op), op.operationType]),
      [
        ['healthChecks/web-hc', 'patch'],
        ['instanceGroups/web-ig', 'setNamedPorts'],
        ['healthChecks/web-hc', 'patch'],
      ],
      'the health check patched and restored; the failed setNamedPorts not retried; the firewall never reached',
    );
  } finally {
    await stack.stop();
  }
});

test('a transient 503 in the setNamedPorts operation: the retry sends the change again and it lands, REMEDIATED', async () => {
  const stack = await startStack(env, 'port-moved');
  try {
    const { sim } = stack;
    await fault(sim, {
      status: 503,
      count: 1,
      mode: 'operation',
      match: { method: 'POST', path: 'setNamedPorts' },
    });
    const { id, result } = await remediate(stack);
    const attempts = (await activityAttempts(id)).filter((a) => a.summary.startsWith(`apply instanceGroup/`));
    const ops = await operations(sim);
    assert.equal(
      result.outcome,
      'REMEDIATED',
      `${result.summary}\nattempts: ${JSON.stringify(attempts)}\noperations: ${JSON.stringify(ops.map((o) => [target(o), o.operationType, o.error?.errors?.[0]?.message ?? 'ok']))}`,
    );
    assert.deepEqual(await portState(sim), FIXED);
  } finally {
    await stack.stop();
  }
});

test('a getHealth outage while verifying, longer than the client retries: Temporal rides it out, REMEDIATED', async () => {
  const stack = await startStack(env, 'port-moved');
  try {
    const { sim } = stack;
    const id = await stack.alert('web-bs');
    // Once the last change's operation exists, verification is next: Google's getHealth goes down.
    await eventually('the firewall change', async () =>
      (await operations(sim)).some((op) => target(op) === `firewalls/${PROBE_RULE}`) ? true : undefined,
    );
    await fault(sim, { status: 503, count: 0, match: { path: '/getHealth$' } });
    // Until a whole activity attempt has failed (the client gives up after its attempts), then back.
    const attempts = sim.clients.retryPolicy.maxAttempts;
    await eventually(
      'an activity attempt to fail on getHealth',
      async () => {
        const refused = (await apiRequests(sim)).filter(
          (r) => r.path.endsWith('/getHealth') && r.status === 503,
        );
        return refused.length >= attempts ? true : undefined;
      },
      60_000,
    );
    await control(sim, 'DELETE', 'faults');
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);
    const verifying = (await activityAttempts(id)).filter((a) => a.summary.startsWith('wait for '));
    assert.ok(
      verifying.some((a) => a.attempt > 1 && /getHealth: 503/.test(a.lastFailure ?? '')),
      `the wait for HEALTHY was retried by Temporal after the 503s: ${JSON.stringify(verifying)}`,
    );
    assert.deepEqual(await portState(sim), FIXED);
  } finally {
    await stack.stop();
  }
});
