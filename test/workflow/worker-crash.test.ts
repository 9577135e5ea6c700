/**
 * The worker process dies while a change is on its way to Google: a second worker finishes the
 * remediation and every change is made exactly once. The retried activity reads the resource first
 * and finds its change made (activities/apply.ts); had the change still been pending, Compute's
 * `requestId` (honoured by the simulator) would have returned the original operation.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../worker/temporal-binaries';
import {
  REMEDIATION_WORKFLOW,
  alertSignal,
  remediationWorkflowId,
  type RemediationInput,
} from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import { apiRequests, control, eventually, startSim, type SimHarness } from '../helpers/sim';
import { policyDir, removeDir } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr, for failure messages. */
  output(): string;
  exited: Promise<void>;
}

/** `lbmedic worker` as its own process, the way it runs in a container. */
function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['bin/lbmedic.mjs', 'worker'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => out, exited };
}

const running = (w: WorkerProcess) => w.child.exitCode === null && w.child.signalCode === null;

/** SIGTERM (the SDK shuts down gracefully), SIGKILL if it is still there after 10 s. */
async function stopWorker(w: WorkerProcess): Promise<void> {
  if (!running(w)) return;
  w.child.kill('SIGTERM');
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
  await w.exited;
  clearTimeout(timer);
}

interface Operation {
  operationType: string;
  targetLink: string;
  status: string;
}

const PROJECT = `crash-${process.pid}`;
const TASK_QUEUE = `crash-${process.pid}`;

let env: TestWorkflowEnvironment;
let sim: SimHarness;
let dir: string;
/** Worker processes started by the test; stopped in `after`, which runs even when the test times out. */
const workers: WorkerProcess[] = [];
before(async () => {
  env = await startDevServer();
  sim = await startSim('port-moved', { project: PROJECT });
  dir = policyDir();
});
after(async () => {
  for (const w of workers) await stopWorker(w);
  await sim?.stop();
  await env?.teardown();
  if (dir) removeDir(dir);
});

test(
  'the worker is killed during apply: a new worker finishes, each change made once',
  { timeout: 240_000 },
  async () => {
    const workerEnv = {
      TEMPORAL_ADDRESS: env.address,
      LBMEDIC_GCP_ENDPOINT: sim.url,
      LBMEDIC_PROJECT: PROJECT,
      LBMEDIC_TASK_QUEUE: TASK_QUEUE,
      LBMEDIC_POLICY_DIR: dir,
    };
    const outputs = () => workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output()}`).join('\n');
    // The first change (the health check PATCH) is held 3 s at "Google": the worker dies meanwhile.
    const fault = await control<{ id: string }>(sim, 'POST', 'faults', {
      delayMs: 3_000,
      count: 1,
      match: { service: 'compute', method: 'PATCH' },
    });
    const first = startWorker(workerEnv);
    workers.push(first);

    const workflowId = remediationWorkflowId(PROJECT, 'web-bs');
    const input: RemediationInput = { project: PROJECT, backendService: 'web-bs', incidents: [] };
    await env.client.workflow.signalWithStart(REMEDIATION_WORKFLOW, {
      workflowId,
      taskQueue: TASK_QUEUE,
      args: [input],
      signal: alertSignal,
      signalArgs: [
        { incidentId: 'inc-crash', state: 'open', source: 'test', receivedAt: new Date().toISOString() },
      ],
    });

    // The request log lists a request once it is answered, too late; the fault leaves the fault
    // list when its request arrives. So: the PATCH has reached "Google", its answer is 3 s away.
    await eventually(
      'the held PATCH to arrive',
      async () => {
        const { faults } = await control<{ faults: { id: string }[] }>(sim, 'GET', 'faults');
        return faults.some((f) => f.id === fault.id) ? undefined : true;
      },
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${outputs()}`);
    });
    first.child.kill('SIGKILL');
    await first.exited;
    workers.push(startWorker(workerEnv));

    const handle = env.client.workflow.getHandle(workflowId);
    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', `${result.summary}\n${outputs()}`);
    assert.deepEqual(result.applied, [
      'healthCheck/web-hc',
      'instanceGroup/us-central1-a/web-ig',
      'firewall/allow-lb-health-checks',
    ]);

    // The kill did land during apply: the health check's change was retried after a heartbeat timeout.
    const events = (await handle.fetchHistory()).events ?? [];
    const retried = events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
    assert.equal(retried.length, 1, `one activity retried after the kill\n${outputs()}`);
    const started = retried[0]?.activityTaskStartedEventAttributes;
    const scheduled = events.find((e) => String(e.eventId) === String(started?.scheduledEventId));
    assert.equal(scheduled?.activityTaskScheduledEventAttributes?.activityType?.name, 'applyMutation');
    assert.ok(started?.lastFailure?.timeoutFailureInfo, 'the first attempt timed out: no heartbeat');
    const patches = (await apiRequests(sim)).filter((r) => r.method === 'PATCH');
    assert.match(patches[0]?.path ?? '', /\/healthChecks\/web-hc$/, 'the held PATCH was the health check');

    // Exactly one Compute operation per resource and kind of change.
    const { operations } = await control<{ operations: Operation[] }>(sim, 'GET', `operations/${PROJECT}`);
    const perTarget = new Map<string, number>();
    for (const op of operations) {
      const key = `${op.operationType} ${op.targetLink.replace(/^.*\/projects\/[^/]+\//, '')}`;
      perTarget.set(key, (perTarget.get(key) ?? 0) + 1);
    }
    assert.deepEqual(
      Object.fromEntries([...perTarget].sort()),
      {
        'patch global/firewalls/allow-lb-health-checks': 1,
        'patch global/healthChecks/web-hc': 1,
        'setNamedPorts zones/us-central1-a/instanceGroups/web-ig': 1,
      },
      `operations: ${JSON.stringify(operations, null, 2)}`,
    );
    assert.ok(
      operations.every((op) => op.status === 'DONE'),
      'every operation finished',
    );

    const { clients } = sim;
    const [hc] = await clients.healthChecks.get({ project: PROJECT, healthCheck: 'web-hc' });
    assert.equal(hc.httpHealthCheck?.port, 9090);
    const [ig] = await clients.instanceGroups.get({
      project: PROJECT,
      zone: 'us-central1-a',
      instanceGroup: 'web-ig',
    });
    assert.deepEqual(
      ig.namedPorts?.map((p) => [p.name, p.port]),
      [['http', 9090]],
    );
    const [fw] = await clients.firewalls.get({ project: PROJECT, firewall: 'allow-lb-health-checks' });
    assert.deepEqual(
      fw.allowed?.map((a) => a.ports),
      [['9090']],
    );
    const [rules] = await clients.firewalls.list({ project: PROJECT });
    assert.equal(rules.length, 2, 'no duplicate firewall rule');
  },
);
