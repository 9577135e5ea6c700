/**
 * The whole of lbmedic for end-to-end tests: a real Temporal dev server (shared per test file), the
 * GCP simulator with a scenario, real Google clients and a worker running the real workflows.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { scopeOfProjects, type Scope } from '../../core/scope';
import { DEFAULT_POLICY_DIR, loadPolicies } from '../../runtime/policy-loader';
import { createWorker } from '../../runtime/worker';
import { alertSignal } from '../../workflows/definitions';
import {
  REMEDIATION_WORKFLOW,
  remediationWorkflowId,
  type Incident,
  type RemediationInput,
  type TransitionEvent,
} from '../../core/model';
import { FIXTURE_APPROVERS } from './approvers';
import { startSim, type SimHarness } from './sim';

/**
 * A copy of the shipped policies with text replacements per file (e.g. a short verification
 * deadline, a manual approval). Returns the folder; remove it with `rmSync`.
 */
export function policyDir(
  edits: Record<string, [string | RegExp, string][]> = {},
  extraFiles: Record<string, string> = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-policies-'));
  cpSync(DEFAULT_POLICY_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
  for (const [file, replacements] of Object.entries(edits)) {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [from, to] of replacements) {
      const next = text.replace(from, to);
      if (next === text) throw new Error(`policyDir: ${String(from)} not found in ${file}`);
      text = next;
    }
    writeFileSync(join(dir, file), text);
  }
  for (const [file, text] of Object.entries(extraFiles)) writeFileSync(join(dir, file), text);
  return dir;
}

/**
 * Every shipped policy with the shortest verification deadline the schema accepts (twice the default
 * health check's floor), for tests that expect a failed fix.
 */
export const SHORT_DEADLINE: Record<string, [string | RegExp, string][]> = Object.fromEntries(
  [
    'health-check-mismatch.yaml',
    'firewall-blocks-probes.yaml',
    'named-port-mismatch.yaml',
    'backend-timeout.yaml',
  ].map((f) => [f, [['deadline: 10m', 'deadline: 20s'] as [string, string]]]),
);

export interface Stack {
  sim: SimHarness;
  /** What the log-only notification sink wrote, in order. */
  notifications: TransitionEvent[];
  worker: Worker;
  taskQueue: string;
  /** Stops the worker and starts another on the same task queue (a deployment), e.g. with another scope. */
  restartWorker(opts?: { scope?: Scope }): Promise<void>;
  /** Starts (or signals) the remediation for a backend service, as the receiver does. */
  /** `region`: a regional backend service's, as a regional load balancer's alert carries it. */
  alert(
    backendService: string,
    incident?: Partial<Incident>,
    triggeredBy?: string,
    region?: string,
  ): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startStack(
  env: TestWorkflowEnvironment,
  scenario: string,
  opts: { policies?: string; timeScale?: number; scope?: (project: string) => Scope } = {},
): Promise<Stack> {
  // A project of its own: runs from other tests on the same server never count towards its limits.
  const id = `${process.pid}-${++counter}`;
  const sim = await startSim(scenario, {
    project: `e2e-${id}`,
    ...(opts.timeScale === undefined ? {} : { timeScale: opts.timeScale }),
  });
  const taskQueue = `e2e-${id}`;
  const notifications: TransitionEvent[] = [];
  // The fixture approver keeps the shipped manual policy valid; a test's own approvers.yaml adds more.
  const policies = loadPolicies(opts.policies ?? DEFAULT_POLICY_DIR, { approverFiles: [FIXTURE_APPROVERS] });
  const workerWith = (scope: Scope) =>
    createWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      clients: sim.clients,
      policies,
      scope,
      temporal: env.client,
      probeAllowedRanges: ['127.0.0.0/8'],
      notify: { writeLine: (line) => notifications.push(JSON.parse(line) as TransitionEvent) },
    });
  let worker = await workerWith(opts.scope?.(sim.project) ?? scopeOfProjects([sim.project]));
  let running = worker.run();
  const stopWorker = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  return {
    sim,
    notifications,
    get worker() {
      return worker;
    },
    taskQueue,
    async restartWorker(restart = {}) {
      await stopWorker();
      worker = await workerWith(restart.scope ?? scopeOfProjects([sim.project]));
      running = worker.run();
    },
    async alert(backendService, incident = {}, triggeredBy, region) {
      const workflowId = remediationWorkflowId(sim.project, backendService);
      const full: Incident = {
        incidentId: `inc-${backendService}-${counter}`,
        state: 'open',
        source: 'test',
        receivedAt: new Date().toISOString(),
        ...incident,
      };
      const input: RemediationInput = {
        project: sim.project,
        backendService,
        incidents: [],
        ...(triggeredBy ? { triggeredBy } : {}),
        ...(region ? { region } : {}),
      };
      await env.client.workflow.signalWithStart(REMEDIATION_WORKFLOW, {
        workflowId,
        taskQueue,
        args: [input],
        signal: alertSignal,
        signalArgs: [full],
      });
      return workflowId;
    },
    async stop() {
      await stopWorker();
      await sim.stop();
    },
  };
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}
