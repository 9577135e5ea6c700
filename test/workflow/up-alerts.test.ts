/**
 * `lbmedic up --simulate`, hands-off (issue 17): the real `up` process (embedded Temporal dev server,
 * simulator, worker, receiver) sets up lbmedic's alert policies in the simulated Cloud Monitoring; the
 * test only breaks the load balancer through the Compute API. The simulator's alert reaches the
 * receiver, the remediation heals the backend service and the incident closes: nothing is posted by
 * the test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createGcpClients } from '../../activities/gcp-clients';
import { governorWorkflowId, remediationWorkflowId } from '../../core/model';
import { readUpState } from '../../cli/up-state';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import type { SimIncident } from '../../simulator/alerting';
import { statusQuery } from '../../workflows/definitions';
import { control, eventually } from '../helpers/sim';
import { upFlags } from '../helpers/lbmedic-process';

/** A running `lbmedic up --simulate SCENARIO`: its state, its console so far, a Temporal client. */
interface Up {
  state: ReturnType<typeof readUpState>;
  sim: { url: string };
  client: Client;
  uiPort: number;
  out: () => string;
}

/** Runs `lbmedic up --simulate scenario` for `fn`, then stops it (SIGINT, SIGKILL after 60 s). */
async function withUp(
  scenario: string,
  fn: (up: Up) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-up-alerts-'));
  const { args, uiPort, stateFile } = await upFlags(dir);
  const up = spawn(process.execPath, ['bin/lbmedic.mjs', 'up', '--simulate', scenario, ...args], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      LBMEDIC_PROJECT: '',
      TEMPORAL_ADDRESS: '',
      LBMEDIC_RECEIVER_TOKEN: '',
      LBMEDIC_RECEIVER_BASIC_AUTH: '',
      ...env,
    },
  });
  let out = '';
  up.stdout.on('data', (c: Buffer) => (out += c.toString()));
  up.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
  let connection: Connection | undefined;
  try {
    await eventually('the up state file', async () => existsSync(stateFile) || undefined, 90_000);
    const state = readUpState(stateFile);
    connection = await Connection.connect({ address: state.temporalAddress });
    const client = new Client({ connection, namespace: state.namespace });
    await fn({ state, sim: { url: state.simulatorUrl ?? '' }, client, uiPort, out: () => out });
    // The timeline, for whoever reads the test's output.
    for (const line of out.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l))) console.log(`  ${line}`);
  } finally {
    await connection?.close();
    if (up.exitCode === null && up.signalCode === null) up.kill('SIGINT');
    const timer = setTimeout(() => up.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The outcome of the first run of `workflowId` (a later alert may start another once it has ended). */
async function firstRun(client: Client, workflowId: string) {
  const runId = await eventually(
    'the remediation run',
    async () => {
      try {
        return (await client.workflow.getHandle(workflowId).describe()).runId;
      } catch {
        return undefined;
      }
    },
    120_000,
  );
  const run = client.workflow.getHandle(workflowId, runId);
  return { run, result: (await run.result()) as { outcome: string; summary?: string } };
}

test('up --simulate: a load balancer broken through the Compute API is alerted on, healed and its incident closed, hands-off', async () => {
  await withUp('healthy', async ({ state, sim, client, uiPort, out }) => {
    assert.match(
      out(),
      /Alerts {7}simulated Cloud Monitoring → the receiver: lbmedic: load balancer 5xx ratio; lbmedic: failed_to_pick_backend/,
    );
    assert.match(out(), /demo-project\/web-bs: 3\/3 HEALTHY/);

    // The break, as a person would make it: the health check probes a port nothing listens on.
    const clients = createGcpClients({ endpoint: sim.url, projectId: state.project });
    try {
      const [hc] = await clients.healthChecks.get({ project: state.project, healthCheck: 'web-hc' });
      await clients.healthChecks.patch({
        project: state.project,
        healthCheck: 'web-hc',
        healthCheckResource: { httpHealthCheck: { ...hc.httpHealthCheck, port: 8081 } },
      });
    } finally {
      await clients.close();
    }

    const { run, result } = await firstRun(client, remediationWorkflowId(state.project, 'web-bs'));
    assert.equal(result.outcome, 'REMEDIATED', out());

    const closed = await eventually(
      'a closed incident',
      async () => {
        const { incidents } = await control<{ incidents: SimIncident[] }>(sim, 'GET', 'incidents');
        return incidents.some((i) => i.state === 'closed') ? incidents : undefined;
      },
      120_000,
    );
    // The remediation carries the simulator's incidents, as the receiver got them from its webhook.
    const status = await run.query(statusQuery);
    const simulated = new Set(closed.map((i) => i.incidentId));
    assert.ok(status.incidents.length > 0, 'the run has incidents');
    for (const incident of status.incidents) {
      assert.ok(simulated.has(incident.incidentId), `${incident.incidentId} came from the simulator`);
      assert.equal(incident.source, 'webhook');
    }
    await eventually('the console says it all', async () =>
      /alert closed: /.test(out()) && /remediation lbmedic\/demo-project\/web-bs: REMEDIATED/.test(out())
        ? true
        : undefined,
    );
    for (const expected of [
      /\d\d:\d\d:\d\d alert opened: lbmedic: (failed_to_pick_backend|load balancer 5xx ratio) on demo-project\/web-bs \(incident 0\.[0-9a-z]{12}\)/,
      /notified the receiver \(open\): 200 accepted/,
      new RegExp(
        `remediation lbmedic/demo-project/web-bs run [0-9a-f-]{36} started: http://127\\.0\\.0\\.1:${uiPort}/namespaces/default/workflows/`,
      ),
      /remediation lbmedic\/demo-project\/web-bs: REMEDIATED: healthCheck\/web-hc changed/,
      /alert closed: lbmedic: .* on demo-project\/web-bs \((the condition is no longer met|autoClose: no data for 1800s)\)/,
    ])
      assert.match(out(), expected);
  });
});

test('up --simulate ilb-wrong-path: a regional internal load balancer’s alert carries its region through the receiver and the governor, and its regional check is fixed', async () => {
  await withUp(
    'ilb-wrong-path',
    async ({ state, client, out }) => {
      const { run, result } = await firstRun(client, remediationWorkflowId(state.project, 'orders-bs'));
      assert.equal(result.outcome, 'REMEDIATED', `${result.summary ?? ''}\n${out()}`);
      const status = await run.query(statusQuery);
      assert.ok(status.incidents.length > 0, 'the run has incidents');
      for (const incident of status.incidents) {
        assert.equal(incident.source, 'webhook');
        assert.equal(incident.region, 'us-central1', 'the alert said where the backend service lives');
      }
      assert.match(
        out(),
        /remediation lbmedic\/demo-project\/orders-bs: REMEDIATED: healthCheck\/orders-hc changed/,
      );
      // The alert was admitted by the project's governor on the queue LBMEDIC_GOVERNOR_TASK_QUEUE names.
      const governor = await client.workflow.getHandle(governorWorkflowId(state.project)).describe();
      assert.equal(governor.taskQueue, 'lbmedic-control');
    },
    { LBMEDIC_GOVERNOR_TASK_QUEUE: 'lbmedic-control' },
  );
});
