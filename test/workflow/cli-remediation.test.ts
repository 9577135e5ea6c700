import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { cmdApprove, cmdReject } from '../../cli/approve';
import { cmdHistory, type HistoryEntry } from '../../cli/history';
import type { Output } from '../../cli/output';
import { cmdStatus } from '../../cli/status';
import { loadConfig, type Config } from '../../runtime/config';
import { REMEDIATION_WORKFLOW, type Incident } from '../../core/model';
import type { FixtureInput } from './fixtures/approval-workflow';
import { startDevServer } from '../helpers/temporal';

const WORKFLOWS = fileURLToPath(new URL('./fixtures/approval-workflow.ts', import.meta.url));
const taskQueue = `cli-remediation-${process.pid}`;
const run = `${process.pid}-${Date.now()}`;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let config: Config;

before(async () => {
  env = await startDevServer();
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath: WORKFLOWS,
  });
  running = worker.run();
  config = loadConfig({ TEMPORAL_ADDRESS: env.address });
});
after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

/** Captures what a command prints. */
function capture(): Output & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}

const incident: Incident = {
  incidentId: '0.nfk2jt1m8a',
  state: 'open',
  source: 'test',
  summary: 'LB 5xx ratio above 5%',
  receivedAt: '2026-11-24T02:00:00.000Z',
};

async function startFixture(name: string, input: Partial<FixtureInput>) {
  const workflowId = `lbmedic/cli-${run}/${name}`;
  const handle = await env.client.workflow.start(REMEDIATION_WORKFLOW, {
    taskQueue,
    workflowId,
    args: [
      {
        project: `cli-${run}`,
        backendService: name,
        incidents: [incident],
        mode: 'approval',
        ...input,
      } satisfies FixtureInput,
    ],
  });
  return { workflowId, handle };
}

test('status prints phase, incidents, the plan and approvals; --json gives the query result', async () => {
  const { workflowId, handle } = await startFixture('status', {});
  const io = capture();
  assert.equal(await cmdStatus([workflowId], config, io), 0);
  const text = io.stdout();
  assert.match(text, new RegExp(`^${workflowId}  \\(RUNNING\\)`));
  assert.match(text, /phase\s+AWAITING_APPROVAL/);
  assert.match(text, /outcome\s+-/);
  assert.match(
    text,
    /incidents\n {4}0\.nfk2jt1m8a \(open, test, received 2026-11-24T02:00:00\.000Z\) LB 5xx ratio above 5%/,
  );
  assert.match(text, /plan\n {4}Plan for the fixture\n {6}~ backendService web-bs/);
  assert.match(text, /approvalDeadline\s+2026-11-24T03:00:00\.000Z/);
  assert.match(text, /timeline\n {4}\S+ {2}AWAITING_APPROVAL +plan ready/);

  const json = capture();
  assert.equal(await cmdStatus([workflowId, '--json'], config, json), 0);
  const status = JSON.parse(json.stdout()) as Record<string, unknown>;
  assert.equal(status.execution, 'RUNNING');
  assert.equal(status.phase, 'AWAITING_APPROVAL');
  assert.deepEqual(status.incidents, [incident]);
  await handle.terminate('test done');
});

test('unknown workflow ids and bad flags are reported, not thrown', async () => {
  const missing = capture();
  assert.equal(await cmdApprove(['lbmedic/nope/nope', '--as', 'alice'], config, missing), 1);
  assert.match(missing.stderr(), /no running remediation lbmedic\/nope\/nope/);
  const reject = capture();
  assert.equal(await cmdReject(['lbmedic/nope/nope', '--as', 'alice'], config, reject), 1);
  const usage = capture();
  assert.equal(await cmdStatus(['lbmedic/a/b', 'lbmedic/c/d'], config, usage), 2);
  assert.match(usage.stderr(), /one workflow id, got 2/);
  assert.equal(await cmdStatus(['lbmedic/a/b', '--project', 'p'], config, usage), 2);
  assert.match(usage.stderr(), /a workflow id or --project, not both/);
  const flag = capture();
  assert.equal(await cmdApprove(['x', '--bogus'], config, flag), 2);
  assert.equal(await cmdHistory(['--since', 'yesterday'], config, flag), 2);
  assert.equal(await cmdHistory(['--outcome', 'FIXED'], config, flag), 2);
  assert.match(flag.stderr(), /--outcome must be one of REMEDIATED, NO_FAULT/);
});

test('history finds closed remediations by outcome and project over the visibility API', async () => {
  const project = `hist-${run}`;
  const done = [
    {
      name: 'web-bs',
      outcome: 'REMEDIATED',
      rootCauses: ['NAMED_PORT_MISMATCH'],
      actions: ['setNamedPorts'],
    },
    {
      name: 'api-bs',
      outcome: 'REMEDIATED',
      rootCauses: ['BACKEND_TIMEOUT'],
      actions: ['patchBackendService'],
      approvedBy: ['alice'],
    },
    {
      name: 'img-bs',
      outcome: 'ROLLED_BACK',
      rootCauses: ['HEALTH_CHECK_MISMATCH'],
      actions: ['patchHealthCheck'],
    },
  ] as const;
  for (const d of done) {
    const { handle } = await startFixture(`hist-${d.name}`, {
      mode: 'complete',
      project,
      backendService: d.name,
      outcome: d.outcome,
      rootCauses: [...d.rootCauses],
      actions: [...d.actions],
      approvedBy: 'approvedBy' in d ? [...d.approvedBy] : [],
    });
    await handle.result();
  }

  // Visibility is eventually consistent: ask until both REMEDIATED ones show, within a bound.
  let entries: HistoryEntry[] = [];
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const io = capture();
    assert.equal(
      await cmdHistory(['--outcome', 'remediated', '--project', project, '--json'], config, io),
      0,
    );
    entries = JSON.parse(io.stdout()) as HistoryEntry[];
    if (entries.length >= 2) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.deepEqual(entries.map((e) => e.backendService).sort(), ['api-bs', 'web-bs']);
  const api = entries.find((e) => e.backendService === 'api-bs')!;
  assert.equal(api.outcome, 'REMEDIATED');
  assert.equal(api.status, 'COMPLETED');
  assert.deepEqual(api.rootCauses, ['BACKEND_TIMEOUT']);
  assert.deepEqual(api.actions, ['patchBackendService']);
  assert.deepEqual(api.approvers, ['alice']);
  assert.equal(api.summary, 'REMEDIATED: fixture');
  assert.ok(api.closeTime && Date.parse(api.closeTime) > Date.now() - 60_000);

  const text = capture();
  assert.equal(await cmdHistory(['--project', project, '--since', '90m'], config, text), 0);
  const lines = text.stdout().split('\n');
  assert.match(
    lines[0]!,
    /^CLOSED\s+PROJECT\/BACKEND SERVICE\s+OUTCOME\s+ROOT CAUSES\s+ACTIONS\s+APPROVERS\s+WORKFLOW ID$/,
  );
  assert.equal(lines.length, 4, text.stdout());
  assert.ok(
    lines.some((l) =>
      new RegExp(
        `^\\S+Z\\s+${project}/api-bs\\s+REMEDIATED\\s+BACKEND_TIMEOUT\\s+patchBackendService\\s+alice\\s+lbmedic/`,
      ).test(l),
    ),
    text.stdout(),
  );
  assert.ok(
    lines.some((l) => /img-bs\s+ROLLED_BACK\s+HEALTH_CHECK_MISMATCH\s+patchHealthCheck\s+-\s+/.test(l)),
  );

  const byBackend = capture();
  assert.equal(
    await cmdHistory(['--project', project, '--backend-service', 'img-bs', '--json'], config, byBackend),
    0,
  );
  assert.deepEqual(
    (JSON.parse(byBackend.stdout()) as HistoryEntry[]).map((e) => e.outcome),
    ['ROLLED_BACK'],
  );

  const none = capture();
  assert.equal(await cmdHistory(['--project', `${project}-other`], config, none), 0);
  assert.match(
    none.stdout(),
    /^no remediations closed in the last 7d match: WorkflowType = 'remediationWorkflow'/,
  );
});
