/**
 * Fleet limits and the fleet circuit breaker (issue 14), over real HTTP to two receivers at once, on
 * a real Temporal dev server with a worker and the GCP simulator:
 * - 1,000 alerts on 1,000 unknown backend services of one project start at most the fleet limit of
 *   remediations; every other alert is answered `queued` or `fleet-limited`, the queued ones wait in
 *   the governor, and one notification says a provider or global incident is suspected;
 * - while the breaker is open, a real fault waits for a person instead of being fixed on its own, and
 *   a person's approval still fixes it; `lbmedic resume --project` closes the breaker.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFleet } from '../../cli/fleet-status';
import { cmdResume } from '../../cli/pause';
import { cmdStatus } from '../../cli/status';
import { remediationWorkflowId, type RemediationStatus } from '../../core/model';
import { scopeOfProjects } from '../../core/scope';
import { startReceiver, type Receiver } from '../../receiver/server';
import { loadConfig } from '../../runtime/config';
import { approveUpdate, statusQuery } from '../../workflows/definitions';
import type { RemediationResult } from '../../workflows/remediation';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen, type TestKey } from '../helpers/approvers';
import { alertFixture } from '../helpers/alert-fixtures';
import { eventually } from '../helpers/sim';
import { policyDir, removeDir, startStack, type Stack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

const TOKEN = 'fleet-token-0123456789abcdef';

let env: TestWorkflowEnvironment;
const dirs: string[] = [];
/** The one registered approver (approvals are signed). */
let oncall: TestKey;
before(async () => {
  env = await startDevServer();
  oncall = sshKeygen('oncall@example.com');
});
after(async () => {
  await env?.teardown();
  for (const d of dirs) removeDir(d);
});

/** The shipped policies with these fleet settings. */
function fleetPolicies(f: { maxConcurrent: number; maxNew: number; queue: number; breaker: number }): string {
  const edits: [string, string][] = [
    ['maxConcurrent: 10', `maxConcurrent: ${f.maxConcurrent}`],
    ['maxNew: 20', `maxNew: ${f.maxNew}`],
    ['queue: 100', `queue: ${f.queue}`],
    ['backendServices: 10', `backendServices: ${f.breaker}`],
  ];
  // The shipped defaults need no edit (and policyDir refuses one that changes nothing).
  const dir = policyDir(
    { 'settings.yaml': edits.filter(([from, to]) => from !== to) },
    { 'approvers.yaml': approversYaml([{ name: oncall.name, keys: [oncall.publicKey] }]) },
  );
  dirs.push(dir);
  return dir;
}

/** Two receivers in front of the stack's task queue: alerts race each other through both. */
async function receivers(stack: Stack): Promise<Receiver[]> {
  return Promise.all(
    [1, 2].map(() =>
      startReceiver({
        client: env.client,
        taskQueue: stack.taskQueue,
        temporalTimeoutMs: 60_000,
        scope: scopeOfProjects([stack.sim.project]),
        credentials: { token: TOKEN },
        log: () => undefined,
      }),
    ),
  );
}

/** A Cloud Monitoring 5xx alert for `backendService` of `project`, fired now. */
function alertFor(project: string, backendService: string, incidentId: string) {
  const payload = alertFixture('lb-5xx-open');
  const incident = payload.incident as {
    resource: { labels: Record<string, string> };
    incident_id: string;
    scoping_project_id: string;
    started_at: number;
  };
  incident.resource.labels.project_id = project;
  incident.resource.labels.backend_target_name = backendService;
  incident.scoping_project_id = project;
  incident.incident_id = incidentId;
  incident.started_at = Math.floor(Date.now() / 1000);
  return payload;
}

async function post(rx: Receiver, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${rx.url}/alerts?token=${TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Remediations on the stack's task queue, as visibility lists them. */
async function remediations(stack: Stack): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = 'remediationWorkflow' AND TaskQueue = '${stack.taskQueue}'`;
  for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids.sort();
}

const configFor = (stack: Stack) =>
  loadConfig({ TEMPORAL_ADDRESS: env.address, LBMEDIC_TASK_QUEUE: stack.taskQueue });

test('1,000 alerts on 1,000 unknown backend services: at most the fleet limit start, the rest queued or refused, one fleet notification', async (t) => {
  const limits = { maxConcurrent: 4, maxNew: 6, queue: 25, breaker: 5 };
  const stack = await startStack(env, 'hc-wrong-port', { policies: fleetPolicies(limits) });
  const rxs = await receivers(stack);
  try {
    const project = stack.sim.project;
    const n = 1000;
    const answers: { status: number; json: Record<string, unknown> }[] = new Array(n);
    let next = 0;
    const sentAt = Date.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, lane) => {
        for (let i = next++; i < n; i = next++) {
          answers[i] = await post(rxs[lane % 2]!, alertFor(project, `ghost-${i}`, `storm-${i}`));
        }
      }),
    );
    t.diagnostic(`${n} alerts answered in ${Date.now() - sentAt} ms through 2 receivers`);

    assert.deepEqual(
      answers.filter((a) => a.status !== 200).map((a) => JSON.stringify(a.json)),
      [],
      'every alert is answered 2xx',
    );
    const by = (outcome: string) => answers.filter((a) => a.json.outcome === outcome);
    const [accepted, queued, limited] = [by('accepted'), by('queued'), by('fleet-limited')];
    t.diagnostic(`accepted ${accepted.length}, queued ${queued.length}, fleet-limited ${limited.length}`);
    assert.equal(accepted.length + queued.length + limited.length, n, 'each alert has a clear outcome');
    assert.ok(accepted.length >= 1 && accepted.length <= limits.maxNew, `${accepted.length} started`);
    assert.ok(queued.length >= limits.queue, 'the queue fills');
    for (const a of answers) {
      const [target, ...more] = a.json.targets as { workflowId: string; result: string }[];
      assert.equal(more.length, 0);
      assert.equal(target?.result, a.json.outcome);
    }
    assert.match(String(limited[0]?.json.message), /fleet limits of .* are reached and its queue is full/);

    // As the started ones end (their backend services do not exist), queued alerts take their slots,
    // until the window's maximum of new remediations is reached: then nothing more starts.
    const idOf = (a: { json: Record<string, unknown> }) =>
      (a.json.targets as { workflowId: string }[])[0]!.workflowId;
    const started = await eventually(
      'the window to be used up and every started remediation to end',
      async () => {
        const ids = await remediations(stack);
        if (ids.length < limits.maxNew) return undefined;
        const ds = await Promise.all(ids.map((id) => env.client.workflow.getHandle(id).describe()));
        return ds.every((d) => d.status.name !== 'RUNNING') ? ids : undefined;
      },
      90_000,
    );
    assert.equal(started.length, limits.maxNew, 'at most the fleet limit of remediations started');
    const startedSet = new Set(started);
    assert.ok(
      accepted.every((a) => startedSet.has(idOf(a))),
      'every accepted alert has its remediation',
    );
    const fromQueue = started.filter((id) => !accepted.some((a) => idOf(a) === id));
    assert.ok(
      fromQueue.every((id) => queued.some((a) => idOf(a) === id)),
      'the others came from the queue',
    );
    // Never lost: every queued alert started, or still waits in the governor's queue.
    const fleet = await readFleet(env.client, project);
    assert.equal(fleet.governors[0]?.queueLength, queued.length - fromQueue.length);
    assert.ok(fleet.governors[0]?.breaker, 'the breaker is open');

    // One fleet notification, for the whole storm.
    const fleetNotes = stack.notifications.filter((e) => e.phase === 'FLEET_BREAKER');
    assert.equal(fleetNotes.length, 1);
    assert.match(fleetNotes[0]!.summary, /a provider or global incident is suspected/);

    const out: string[] = [];
    const code = await cmdStatus(['--project', project], configFor(stack), {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    assert.equal(code, 0, out.join('\n'));
    assert.match(out.join('\n'), /fleet circuit breaker: OPEN since/);
    assert.match(out.join('\n'), /queued/);
  } finally {
    await Promise.all(rxs.map((r) => r.close()));
    await stack.stop();
  }
});

test('while the fleet breaker is open a real fault waits for a person, and an approval fixes it; resume closes the breaker', async () => {
  const stack = await startStack(env, 'hc-wrong-port', {
    policies: fleetPolicies({ maxConcurrent: 10, maxNew: 20, queue: 10, breaker: 3 }),
  });
  const rxs = await receivers(stack);
  const rx = rxs[0];
  try {
    const project = stack.sim.project;
    for (const i of [1, 2, 3]) {
      const r = await post(rx!, alertFor(project, `ghost-${i}`, `ghost-${i}`));
      assert.equal(r.json.outcome, 'accepted', JSON.stringify(r.json));
    }
    await eventually('the fleet notification', async () =>
      stack.notifications.some((e) => e.phase === 'FLEET_BREAKER') ? true : undefined,
    );
    // web-bs really is broken (its health check probes the wrong port); the shipped policy is automatic.
    const web = await post(rx!, alertFor(project, 'web-bs', 'real-fault'));
    assert.equal(web.json.outcome, 'accepted', JSON.stringify(web.json));
    const id = remediationWorkflowId(project, 'web-bs');
    const waiting = await eventually('the fix to wait for a person', async () => {
      const s: RemediationStatus = await env.client.workflow.getHandle(id).query(statusQuery);
      return s.phase === 'AWAITING_APPROVAL' || s.outcome ? s : undefined;
    });
    assert.equal(waiting.phase, 'AWAITING_APPROVAL', JSON.stringify(waiting.timeline));
    assert.match(String(waiting.needsPerson), /fleet circuit breaker of .* tripped/);
    assert.deepEqual(waiting.applied, []);

    const pending = waiting.approval as PendingApproval;
    await env.client.workflow.getHandle(id).executeUpdate(approveUpdate, {
      args: [await signedRequest(oncall, { workflow: id, run: pending.run, plan: pending.plan })],
    });
    const result = (await env.client.workflow.getHandle(id).result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', result.summary);

    const out: string[] = [];
    const code = await cmdResume(['--project', project, '--as', 'oncall'], configFor(stack), {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    assert.equal(code, 0, out.join('\n'));
    await eventually('the breaker closed', async () => {
      const fleet = await readFleet(env.client, project);
      return fleet.governors[0] && !fleet.governors[0].breaker ? true : undefined;
    });
  } finally {
    await Promise.all(rxs.map((r) => r.close()));
    await stack.stop();
  }
});
