/**
 * Crash tests: `lbmedic worker` as its own process (the way it runs in a container), killed with
 * SIGKILL at a chosen moment and started again; and what Google was asked to change meanwhile.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Client, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { alertSignal, statusQuery } from '../../workflows/definitions';
import { REMEDIATION_WORKFLOW, remediationWorkflowId, type RemediationInput } from '../../core/model';
import { control, eventually, startSim, type SimHarness } from './sim';
import { FIXTURE_APPROVERS } from './approvers';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr, for failure messages. */
  output(): string;
  exited: Promise<void>;
}

export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
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
export async function stopWorkerProcess(w: WorkerProcess): Promise<void> {
  if (!running(w)) return;
  w.child.kill('SIGTERM');
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
  await w.exited;
  clearTimeout(timer);
}

/** The worker processes of one test, one alive at a time. */
export class WorkerFleet {
  readonly workers: WorkerProcess[] = [];
  constructor(private readonly env: Record<string, string>) {}

  start(): WorkerProcess {
    const w = startWorkerProcess(this.env);
    this.workers.push(w);
    return w;
  }

  /**
   * Waits until every running worker has started (it says `lbmedic worker on …` once its workers are
   * built, just before they poll): an alert sent before would wait for a worker, past the receiver's
   * Temporal timeout on a busy machine, and be answered 503 for Cloud Monitoring to retry.
   */
  async ready(timeoutMs = 120_000): Promise<void> {
    await eventually(
      'the worker processes to start',
      async () => {
        const live = this.workers.filter(running);
        if (live.length === 0) throw new Error(`no worker is running\n${this.outputs()}`);
        return live.every((w) => w.output().includes('lbmedic worker on')) ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** SIGKILL the newest worker: no shutdown, no goodbye to the server, activities cut off mid-flight. */
  async kill(): Promise<void> {
    const w = this.workers.at(-1);
    if (!w) throw new Error('no worker to kill');
    w.child.kill('SIGKILL');
    await w.exited;
  }

  /** Waits for `moment`; when it fails, the error carries every worker's output. */
  async waitFor<T>(moment: Promise<T>): Promise<T> {
    return moment.catch((err: Error) => {
      throw new Error(`${err.message}\n${this.outputs()}`);
    });
  }

  /** Waits for `moment`, then SIGKILLs the newest worker and starts a new one. */
  async replaceAfter(moment: Promise<unknown>): Promise<void> {
    await this.waitFor(moment);
    await this.kill();
    this.start();
  }

  /** Every worker's output, for failure messages. */
  outputs(): string {
    return this.workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output()}`).join('\n');
  }

  async stopAll(): Promise<void> {
    for (const w of this.workers) await stopWorkerProcess(w);
  }
}

/**
 * Holds the next request matching `match` at the simulator ("Google") for `delayMs`. `arrived()`
 * resolves once that request has reached the simulator: its answer is then `delayMs` away. (The
 * request log lists a request only once it is answered, too late; the fault leaves the fault list
 * when its request arrives.)
 */
export async function holdNextRequest(
  sim: SimHarness,
  delayMs: number,
  match: Record<string, string>,
  /** Hold this many matching requests; `arrived()` waits for the last of them. */
  count = 1,
): Promise<{ arrived(timeoutMs?: number): Promise<void> }> {
  const { id } = await control<{ id: string }>(sim, 'POST', 'faults', { delayMs, count, match });
  return {
    async arrived(timeoutMs = 90_000) {
      await eventually(
        `the held request (fault ${id}) to arrive`,
        async () => {
          const { faults } = await control<{ faults: { id: string }[] }>(sim, 'GET', 'faults');
          return faults.some((f) => f.id === id) ? undefined : true;
        },
        timeoutMs,
      );
    },
  };
}

/** Waits until the remediation reports `phase` (its status query, answered by a live worker). */
export async function reachedPhase(handle: WorkflowHandle, phase: string, timeoutMs = 90_000) {
  return eventually(
    `phase ${phase}`,
    async () => {
      const s = await handle.query(statusQuery).catch(() => undefined);
      return s?.phase === phase ? s : undefined;
    },
    timeoutMs,
  );
}

interface Operation {
  operationType: string;
  targetLink: string;
  status: string;
}

/** Compute operations the simulator ran for a project: "<type> <resource path>" → how many. */
export async function operationCounts(sim: SimHarness): Promise<Record<string, number>> {
  const { operations } = await control<{ operations: Operation[] }>(sim, 'GET', `operations/${sim.project}`);
  assert.ok(
    operations.every((op) => op.status === 'DONE'),
    `every operation finished: ${JSON.stringify(operations)}`,
  );
  const counts = new Map<string, number>();
  for (const op of operations) {
    const key = `${op.operationType} ${op.targetLink.replace(/^.*\/projects\/[^/]+\//, '')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort());
}

/**
 * The activity attempts that ran more than once, as "<type>: <why the previous attempt ended>":
 * proof the kill landed where the test meant it to. Notifications are left out: one in flight on the
 * dead worker is retried too (it runs beside the remediation), which is not what these tests are about.
 */
export async function retriedActivities(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const out: string[] = [];
  for (const e of events) {
    const started = e.activityTaskStartedEventAttributes;
    if (!started || (started.attempt ?? 1) <= 1) continue;
    const scheduled = events.find((s) => String(s.eventId) === String(started.scheduledEventId));
    const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
    if (type === 'notify') continue;
    const timeout = started.lastFailure?.timeoutFailureInfo?.timeoutType;
    const why =
      timeout === undefined || timeout === null
        ? started.lastFailure?.message
        : proto.temporal.api.enums.v1.TimeoutType[timeout];
    out.push(`${type}: ${why}`);
  }
  return out;
}

export interface CrashWorld {
  sim: SimHarness;
  fleet: WorkerFleet;
  /** The task queue its workers poll (a receiver for this world starts work there). */
  taskQueue: string;
  workflowId: string;
  handle: WorkflowHandle;
  /** Starts the remediation of web-bs the way the receiver does. */
  alert(triggeredBy?: string): Promise<void>;
  stop(): Promise<void>;
}

let worlds = 0;
/** A simulated project of its own, a worker fleet on its own task queue, with the given policies. */
export async function crashWorld(
  /** The Temporal server's address for the workers, and a client of it for the test. */
  env: { address: string; client: Client },
  scenario: string,
  policyDir: string,
): Promise<CrashWorld> {
  const id = `crash-${process.pid}-${++worlds}`;
  const sim = await startSim(scenario, { project: id });
  const fleet = new WorkerFleet({
    TEMPORAL_ADDRESS: env.address,
    LBMEDIC_GCP_ENDPOINT: sim.url,
    LBMEDIC_PROJECT: sim.project,
    LBMEDIC_TASK_QUEUE: id,
    LBMEDIC_POLICY_DIR: policyDir,
    // The shipped backend-timeout policy is manual: a worker needs a registered approver to start.
    LBMEDIC_APPROVERS_FILE: FIXTURE_APPROVERS,
  });
  const workflowId = remediationWorkflowId(sim.project, 'web-bs');
  return {
    sim,
    fleet,
    taskQueue: id,
    workflowId,
    handle: env.client.workflow.getHandle(workflowId),
    async alert(triggeredBy) {
      const input: RemediationInput = {
        project: sim.project,
        backendService: 'web-bs',
        incidents: [],
        ...(triggeredBy ? { triggeredBy } : {}),
      };
      await env.client.workflow.signalWithStart(REMEDIATION_WORKFLOW, {
        workflowId,
        taskQueue: id,
        args: [input],
        signal: alertSignal,
        signalArgs: [
          { incidentId: `inc-${id}`, state: 'open', source: 'test', receivedAt: new Date().toISOString() },
        ],
      });
    },
    async stop() {
      await fleet.stopAll();
      await sim.stop();
    },
  };
}

/** How many workflow tasks timed out (a worker died holding one, e.g. while running local activities). */
export async function timedOutWorkflowTasks(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const timedOut = proto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT;
  return events.filter((e) => e.eventType === timedOut).length;
}
