/**
 * One writer per resource, on a real dev server: the real lock workflow (workflows/lock.ts) and the
 * remediation's side of it (workflows/locks.ts, run by a fixture workflow that holds locks until told
 * how it ended). One holder at a time, in the order asked; a run that ended holding a lock loses it;
 * what a holder left changed is handed to the next one for the flip-flop check, a rollback leaves
 * nothing.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createLockActivities } from '../../activities/locks';
import { lockWorkflowId } from '../../core/one-writer';
import { lockStateQuery, type LockState } from '../../workflows/lock-definitions';
import { eventually } from '../helpers/sim';
import { startDevServer } from '../helpers/temporal';
import { finishSignal, type HolderInput, type HolderResult } from './fixtures/lock-holder-workflow';

const WORKFLOWS = fileURLToPath(new URL('./fixtures/lock-holder-workflow.ts', import.meta.url));
const taskQueue = `locks-${process.pid}`;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
before(async () => {
  env = await startDevServer();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: WORKFLOWS,
    activities: { ...createLockActivities(env.client, { holderCheckSec: 1 }), notify: async () => [] },
  });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

let n = 0;
/** Starts a holder of `p/healthCheck/<hc>` whose changes are `changes`. */
async function holder(project: string, hc: string, changes: HolderInput['changes']) {
  const input: HolderInput = { project, healthChecks: [hc], changes };
  return env.client.workflow.start('lockHolderWorkflow', {
    taskQueue,
    workflowId: `holder-${process.pid}-${++n}`,
    args: [input],
  });
}

const lockState = (key: string) =>
  env.client.workflow.getHandle(lockWorkflowId(key)).query(lockStateQuery) as Promise<LockState>;

/** Waits until the lock on `key` satisfies `ok`. */
const lockWhere = (key: string, what: string, ok: (s: LockState) => boolean) =>
  eventually(what, async () => {
    const s = await lockState(key).catch(() => undefined);
    return s && ok(s) ? s : undefined;
  });

const port = (before: string, after: string) => [{ field: 'httpHealthCheck.port', before, after }];

test('one holder at a time, in the order asked; the next is granted when the holder ends', async () => {
  const key = 'p1/healthCheck/hc';
  const a = await holder('p1', 'hc', port('8080', '9090'));
  await lockWhere(key, 'a holds', (s) => s.holder?.workflowId === a.workflowId);
  const b = await holder('p1', 'hc', [
    { field: 'httpHealthCheck.requestPath', before: '/', after: '/healthz' },
  ]);
  const queued = await lockWhere(key, 'b waits', (s) => s.queue.some((q) => q.workflowId === b.workflowId));
  assert.equal(queued.holder?.workflowId, a.workflowId, 'b waits while a holds');

  await a.signal(finishSignal, 'REMEDIATED');
  assert.deepEqual(((await a.result()) as HolderResult).held, [key]);
  const granted = await lockWhere(key, 'b holds', (s) => s.holder?.workflowId === b.workflowId);
  assert.equal(granted.lastWrite?.by.workflowId, a.workflowId, 'the lock remembers what a set');
  await b.signal(finishSignal, 'REMEDIATED');
  assert.deepEqual(((await b.result()) as HolderResult).held, [key], 'b changes nothing a set: no flip-flop');
});

test('a run that ends holding a lock (terminated) loses it within the holder check', async () => {
  const key = 'p2/healthCheck/hc';
  const a = await holder('p2', 'hc', port('8080', '9090'));
  await lockWhere(key, 'a holds', (s) => s.holder?.workflowId === a.workflowId);
  const b = await holder('p2', 'hc', port('8080', '9090'));
  await lockWhere(key, 'b waits', (s) => s.queue.length === 1);
  await a.terminate('the worker pool was deleted');
  const taken = await lockWhere(key, 'b holds', (s) => s.holder?.workflowId === b.workflowId);
  assert.match(taken.reclaimed[0] ?? '', new RegExp(`^${a.workflowId} \\(run .*\\) ended holding the lock`));
  assert.equal(taken.lastWrite, undefined, 'a terminated run wrote nothing it said');
  await b.signal(finishSignal, 'REMEDIATED');
  assert.deepEqual(((await b.result()) as HolderResult).held, [key]);
});

test('setting back what the last holder set: escalated once, then blocked; a rolled-back change leaves nothing to undo', async () => {
  const key = 'p3/healthCheck/hc';
  const a = await holder('p3', 'hc', port('8080', '9090'));
  await lockWhere(key, 'a holds', (s) => s.holder?.workflowId === a.workflowId);
  await a.signal(finishSignal, 'REMEDIATED');
  await a.result();

  const back = async () => (await (await holder('p3', 'hc', port('9090', '8080'))).result()) as HolderResult;
  const first = await back();
  assert.equal(first.ending?.outcome, 'ESCALATED');
  assert.match(first.ending?.summary ?? '', new RegExp(`^flip-flop: holder-.* undoing what ${a.workflowId}`));
  const second = await back();
  assert.equal(second.ending?.outcome, 'BLOCKED_BY_LIMITS');
  assert.match(second.ending?.summary ?? '', /already escalated this flip-flop/);

  const key4 = 'p4/healthCheck/hc';
  const c = await holder('p4', 'hc', port('8080', '9090'));
  await lockWhere(key4, 'c holds', (s) => s.holder?.workflowId === c.workflowId);
  await c.signal(finishSignal, 'ROLLED_BACK');
  await c.result();
  const d = await holder('p4', 'hc', port('9090', '8080'));
  const granted = await lockWhere(key4, 'd holds', (s) => s.holder?.workflowId === d.workflowId);
  assert.equal(granted.lastWrite, undefined, 'nothing to undo after a rollback');
  await d.signal(finishSignal, 'REMEDIATED');
  assert.deepEqual(await d.result(), { held: [key4] });
});
