/**
 * The alert receiver over real HTTP against a real Temporal dev server and the GCP simulator. The
 * governors (which admit new remediations and resolve URL maps) run on a worker of their own task
 * queue; the remediations they start go to a task queue no worker serves, so they wait, and these
 * tests check what reached Temporal. Each test uses its own project, so its workflow ids are its own.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { remediationWorkflowId, type Incident } from '../../core/model';
import { scopeOfProjects } from '../../core/scope';
import { startReceiver, type Receiver } from '../../receiver/server';
import { shippedPolicies } from '../helpers/approvers';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { createWorker } from '../../runtime/worker';
import { alertFixture, pubsubEnvelope, type AlertFixture } from '../helpers/alert-fixtures';
import { eventually, startSim, type SimHarness } from '../helpers/sim';
import { startDevServer } from '../helpers/temporal';

const TOKEN = 'rx-token-0123456789abcdef';
const BASIC = { username: 'cloud-monitoring', password: 'correct horse battery staple' };
const MAX_BODY = 64 * 1024;
const SHARED = fileURLToPath(new URL('../fixtures/alerts/shared-url-map.yaml', import.meta.url));

const GOVERNORS = 'lbmedic-receiver-governors';
/** The task queue of `lbmedic receiver` in the command test, and of the worker that serves it. */
const COMMAND_QUEUE = 'lbmedic-receiver-command';
/** Every project these tests send alerts for (each test has its own). */
const SCOPE = scopeOfProjects(
  [
    'auth-1',
    'bad-1',
    'bad-2',
    'big-1',
    'closed-1',
    'closed-2',
    'coalesce-1',
    'command-1',
    'open-1',
    'pubsub-1',
    'repeat-1',
  ]
    .map((p) => `rx-${p}`)
    .concat('demo-project'),
);

let env: TestWorkflowEnvironment;
let sim: SimHarness;
let receiver: Receiver;
const workers: { worker: Worker; running: Promise<void> }[] = [];
const logs: Record<string, unknown>[] = [];

/** A worker on `taskQueue` with the simulator's clients: the one place that reads URL maps. */
async function startWorkerOn(taskQueue: string) {
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    clients: sim.clients,
    policies: shippedPolicies(),
    scope: SCOPE,
    temporal: env.client,
    probeAllowedRanges: ['127.0.0.0/8'],
    notify: { writeLine: () => undefined },
  });
  workers.push({ worker, running: worker.run() });
}

before(async () => {
  [env, sim] = await Promise.all([startDevServer(), startSim(SHARED)]);
  await Promise.all([startWorkerOn(GOVERNORS), startWorkerOn(COMMAND_QUEUE)]);
  receiver = await startReceiver({
    client: env.client,
    taskQueue: 'lbmedic-receiver-test',
    governorTaskQueue: GOVERNORS,
    temporalTimeoutMs: 10_000,
    scope: SCOPE,
    credentials: { token: TOKEN, basic: BASIC },
    maxBodyBytes: MAX_BODY,
    log: (entry) => logs.push(entry),
  });
});
after(async () => {
  await receiver?.close();
  for (const w of workers) w.worker.shutdown();
  await Promise.all(workers.map((w) => w.running));
  await Promise.all([env?.teardown(), sim?.stop()]);
});

type Auth = 'token' | 'basic' | 'none' | 'wrong-token' | 'wrong-basic';

async function post(
  path: string,
  body: unknown,
  opts: { auth?: Auth; contentType?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const auth = opts.auth ?? 'token';
  const query = auth === 'token' ? `?token=${TOKEN}` : auth === 'wrong-token' ? '?token=guess' : '';
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  const password = auth === 'basic' ? BASIC.password : 'wrong password';
  if (auth === 'basic' || auth === 'wrong-basic') {
    headers.authorization = `Basic ${Buffer.from(`${BASIC.username}:${password}`).toString('base64')}`;
  }
  const res = await fetch(`${receiver.url}${path}${query}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A fixture moved into its own project, so each test has its own workflow ids. */
function alertIn(fixture: AlertFixture, project: string, incidentId?: string) {
  const payload = alertFixture(fixture);
  const incident = payload.incident as { resource: { labels: Record<string, string> }; incident_id: string };
  incident.resource.labels.project_id = project;
  if (incidentId) incident.incident_id = incidentId;
  return payload;
}

/** The `alert` signals a workflow received, decoded. */
async function signals(workflowId: string): Promise<Incident[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName === 'alert')
    .map((a) => JSON.parse(Buffer.from(a?.input?.payloads?.[0]?.data ?? []).toString('utf8')) as Incident);
}

async function executionsOf(workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

test('an open incident starts one remediation workflow, with the incident as input and signal', async () => {
  const res = await post('/alerts', alertIn('lb-5xx-open', 'rx-open-1'));
  const workflowId = remediationWorkflowId('rx-open-1', 'web-bs');
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.outcome, 'accepted');
  assert.deepEqual(res.json.targets, [{ workflowId, result: 'accepted' }]);
  const description = await env.client.workflow.getHandle(workflowId).describe();
  assert.equal(description.type, 'remediationWorkflow');
  assert.equal(description.taskQueue, 'lbmedic-receiver-test');
  assert.equal(description.status.name, 'RUNNING');
  const [signal, ...more] = await signals(workflowId);
  assert.equal(more.length, 0);
  assert.equal(signal?.incidentId, '0.nq1j3y4w2k8p');
  assert.equal(signal?.state, 'open');
  assert.equal(signal?.source, 'webhook');
  assert.equal(signal?.policyName, 'lbmedic: load balancer 5xx ratio');
});

test('the same incident 20 times more (concurrently, webhook and Pub/Sub): still one workflow', async () => {
  const payload = alertIn('lb-5xx-open', 'rx-repeat-1');
  const workflowId = remediationWorkflowId('rx-repeat-1', 'web-bs');
  assert.equal((await post('/alerts', payload)).status, 200);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? post('/alerts', payload, { auth: 'basic' }) : post('/pubsub', pubsubEnvelope(payload)),
    ),
  );
  assert.deepEqual(
    answers.map((a) => a.status),
    Array.from({ length: 20 }, () => 200),
  );
  assert.equal(
    await eventually('the execution to be listed', async () => (await executionsOf(workflowId)) || undefined),
    1,
  );
  const received = await signals(workflowId);
  // Duplicates after Temporal accepted the first are answered from the receiver's memory; the first
  // was awaited before they were sent, so exactly one signal reached the workflow.
  assert.equal(received.length, 1, `signals received: ${received.length}`);
  assert.deepEqual(new Set(received.map((s) => s.incidentId)), new Set(['0.nq1j3y4w2k8p']));
});

test('a closed incident is passed to the running remediation', async () => {
  const workflowId = remediationWorkflowId('rx-closed-1', 'web-bs');
  assert.equal((await post('/alerts', alertIn('lb-5xx-open', 'rx-closed-1'))).status, 200);
  const res = await post('/alerts', alertIn('lb-5xx-closed', 'rx-closed-1'));
  assert.equal(res.status, 200);
  assert.equal(res.json.outcome, 'signalled');
  assert.deepEqual(res.json.targets, [{ workflowId, result: 'signalled' }]);
  const received = await signals(workflowId);
  assert.deepEqual(
    received.map((s) => s.state),
    ['open', 'closed'],
  );
  // The fixture's incident, moved to have started a minute ago: it ended 900 s after it started.
  assert.equal((received[1]?.endedAt ?? 0) - (received[1]?.startedAt ?? 0), 900);
});

test('a closed incident with no remediation running is recorded and starts nothing', async () => {
  const workflowId = remediationWorkflowId('rx-closed-2', 'web-bs');
  const res = await post('/alerts', alertIn('lb-5xx-closed', 'rx-closed-2'));
  assert.equal(res.status, 200);
  assert.equal(res.json.outcome, 'recorded');
  assert.equal(res.json.message, 'recorded: no remediation running');
  assert.deepEqual(res.json.targets, [{ workflowId, result: 'not-running' }]);
  assert.equal(await exists(workflowId), false);
});

test('the console test notification is answered 2xx and starts nothing (webhook and Pub/Sub)', async () => {
  for (const [path, body] of [
    ['/alerts', alertFixture('test-notification')],
    ['/pubsub', pubsubEnvelope(alertFixture('test-notification'))],
  ] as const) {
    const res = await post(path, body);
    assert.equal(res.status, 200);
    assert.equal(res.json.outcome, 'test-notification');
    assert.equal(res.json.targets, undefined);
  }
  const line = logs.find((l) => l.outcome === 'test-notification');
  assert.ok(line);
  assert.equal(line.workflowId, undefined);
});

test('missing or wrong credentials: 401 and nothing started', async () => {
  const payload = alertIn('lb-5xx-open', 'rx-auth-1');
  for (const auth of ['none', 'wrong-token', 'wrong-basic'] as const) {
    const res = await post('/alerts', payload, { auth });
    assert.equal(res.status, 401, auth);
    assert.equal(res.json.message, 'missing or wrong credentials');
    assert.equal((await post('/pubsub', pubsubEnvelope(payload), { auth })).status, 401, `pubsub ${auth}`);
  }
  assert.equal(await exists(remediationWorkflowId('rx-auth-1', 'web-bs')), false);
});

test('oversized bodies: 413, declared or streamed, and nothing started', async () => {
  const payload = alertIn('lb-5xx-open', 'rx-big-1');
  payload.incident.summary = 'x'.repeat(MAX_BODY);
  const declared = await post('/alerts', payload);
  assert.equal(declared.status, 413);
  assert.match(String(declared.json.message), /body larger than 65536 bytes/);
  // Chunked, without Content-Length: the limit holds while reading.
  const text = JSON.stringify(payload);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < text.length; i += 8192)
        controller.enqueue(new TextEncoder().encode(text.slice(i, i + 8192)));
      controller.close();
    },
  });
  const res = await fetch(`${receiver.url}/alerts?token=${TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  assert.equal(res.status, 413);
  await res.body?.cancel();
  assert.equal(await exists(remediationWorkflowId('rx-big-1', 'web-bs')), false);
});

test('a body that is not JSON: 415 for the wrong content type, 400 for bad JSON', async () => {
  const payload = alertIn('lb-5xx-open', 'rx-bad-1');
  const wrongType = await post('/alerts', JSON.stringify(payload), { contentType: 'text/plain' });
  assert.equal(wrongType.status, 415);
  const badJson = await post('/alerts', '{"incident": {', {});
  assert.equal(badJson.status, 400);
  assert.match(String(badJson.json.message), /^body is not JSON: /);
  assert.equal(await exists(remediationWorkflowId('rx-bad-1', 'web-bs')), false);
});

test('malformed notifications: 400 with a message that names what is wrong', async () => {
  const payload = alertIn('lb-5xx-open', 'rx-bad-2');
  payload.incident.state = 'firing';
  delete payload.incident.incident_id;
  const res = await post('/alerts', payload);
  assert.equal(res.status, 400);
  assert.match(
    String(res.json.message),
    /incident\.incident_id: .*incident\.state: must be "open" or "closed"/,
  );
  const push = await post('/pubsub', { message: { data: 'not base64!' } });
  assert.equal(push.status, 400);
  assert.match(String(push.json.message), /message\.data: is not base64/);
  assert.equal(await exists(remediationWorkflowId('rx-bad-2', 'web-bs')), false);
});

test('Pub/Sub push: the same as the webhook (start, then closed to the running one)', async () => {
  const workflowId = remediationWorkflowId('rx-pubsub-1', 'api-bs');
  const open = await post('/pubsub', pubsubEnvelope(alertIn('failed-to-pick-backend-open', 'rx-pubsub-1')));
  assert.equal(open.status, 200);
  assert.equal(open.json.outcome, 'accepted');
  assert.deepEqual(open.json.targets, [{ workflowId, result: 'accepted' }]);
  const closedPayload = alertIn('failed-to-pick-backend-open', 'rx-pubsub-1');
  closedPayload.incident.state = 'closed';
  const closed = await post('/pubsub', pubsubEnvelope(closedPayload));
  assert.equal(closed.json.outcome, 'signalled');
  const received = await signals(workflowId);
  assert.deepEqual(
    received.map((s) => [s.source, s.state]),
    [
      ['pubsub', 'open'],
      ['pubsub', 'closed'],
    ],
  );
});

test('an incident naming only a URL map starts a remediation for every backend service behind it', async () => {
  const res = await post('/alerts', alertFixture('url-map-only-open'));
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.outcome, 'accepted');
  assert.match(String(res.json.message), /via resource\.labels\.url_map_name → urlMaps\.get shop-map/);
  const ids = ['shop-api-bs', 'shop-web-bs'].map((bs) => remediationWorkflowId('demo-project', bs));
  assert.deepEqual(
    res.json.targets,
    ids.map((workflowId) => ({ workflowId, result: 'accepted' })),
  );
  for (const id of ids) assert.equal(await exists(id), true, id);
  assert.equal(await exists(remediationWorkflowId('demo-project', 'other-bs')), false);
});

test('unmappable incidents are answered 2xx with the reason, and logged with it', async () => {
  const res = await post('/alerts', alertFixture('vm-cpu-open'));
  assert.equal(res.status, 200);
  assert.equal(res.json.outcome, 'unmapped');
  assert.match(
    String(res.json.message),
    /^not remediated: resource type "gce_instance" names no backend service/,
  );
  const line = logs.find((l) => l.outcome === 'unmapped' && l.incident === '0.mtdi83m6w8ao');
  assert.ok(line, 'logged');
  assert.match(String(line.reason), /gce_instance/);
  const missingMap = alertFixture('url-map-only-open');
  (missingMap.incident.resource as { labels: Record<string, string> }).labels.url_map_name = 'gone-map';
  const gone = await post('/alerts', missingMap);
  assert.equal(gone.status, 200);
  assert.match(String(gone.json.message), /URL map gone-map could not be read \(404/);
});

test('/healthz, unknown paths and wrong methods', async () => {
  const health = await fetch(`${receiver.url}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 200, message: 'ok' });
  const unknown = await fetch(`${receiver.url}/nope?token=${TOKEN}`, { method: 'POST' });
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
  const get = await fetch(`${receiver.url}/alerts?token=${TOKEN}`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  await get.body?.cancel();
});

test('one structured log line per request, without secrets', async () => {
  const requests = logs.filter((l) => l.msg === 'request');
  assert.ok(requests.length > 20);
  for (const line of requests) {
    for (const key of ['time', 'method', 'path', 'status', 'durationMs']) assert.ok(key in line, key);
    const text = JSON.stringify(line);
    assert.ok(!text.includes(TOKEN), 'no token');
    assert.ok(!text.includes(BASIC.password), 'no password');
    assert.ok(!/authorization|Basic /i.test(text), 'no auth header');
    assert.ok(!String(line.path).includes('?'), 'no query string');
  }
  const accepted = requests.find(
    (l) => l.outcome === 'accepted' && l.workflowId === remediationWorkflowId('rx-open-1', 'web-bs'),
  );
  assert.ok(accepted);
  assert.equal(accepted.incident, '0.nq1j3y4w2k8p');
  assert.equal(accepted.method, 'POST');
  assert.equal(accepted.path, '/alerts');
  assert.equal(accepted.status, 200);
});

test('the command: `lbmedic receiver` with no Google Cloud credentials accepts alerts (a URL map too) and stops cleanly on SIGTERM', async () => {
  // Nothing that could lead to Google Cloud: no endpoint, no project, credentials that do not exist.
  const inherited = { ...process.env };
  for (const name of ['LBMEDIC_GCP_ENDPOINT', 'LBMEDIC_PROJECT', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT'])
    delete inherited[name];
  const child = spawn(process.execPath, ['bin/lbmedic.mjs', 'receiver', '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: {
      ...inherited,
      TEMPORAL_ADDRESS: env.address,
      LBMEDIC_TASK_QUEUE: COMMAND_QUEUE,
      LBMEDIC_RECEIVER_TOKEN: TOKEN,
      GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/lbmedic-receiver-credentials.json',
      CLOUDSDK_CONFIG: '/nonexistent/gcloud',
      // The URL map fixture is in demo-project.
      LBMEDIC_SCOPE: 'rx-command-1,demo-project',
    },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const postTo = async (url: string, body: unknown) => {
    const res = await fetch(`${url}/alerts?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  try {
    const url = await eventually(
      'the receiver to listen',
      async () => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1],
      30_000,
    );
    const res = await postTo(url, alertIn('lb-5xx-open', 'rx-command-1'));
    assert.equal(res.status, 200, out);
    const description = await env.client.workflow
      .getHandle(remediationWorkflowId('rx-command-1', 'web-bs'))
      .describe();
    assert.equal(description.taskQueue, COMMAND_QUEUE);
    // Only a URL map named: the worker reads it (the receiver process could not).
    const map = await postTo(url, alertFixture('url-map-only-open'));
    assert.equal(map.status, 200, JSON.stringify(map.json));
    assert.equal(map.json.outcome, 'accepted');
    assert.match(String(map.json.message), /urlMaps\.get shop-map/);
    assert.deepEqual(
      (map.json.targets as { workflowId: string }[]).map((t) => t.workflowId).sort(),
      ['shop-api-bs', 'shop-web-bs'].map((bs) => remediationWorkflowId('demo-project', bs)),
    );
    await eventually('the request log line', async () =>
      out.includes('"outcome":"accepted"') ? true : undefined,
    );
    assert.ok(!out.includes(TOKEN), 'the token is never printed');
    assert.match(out, /"scope":"projects rx-command-1, demo-project; backend services all; networks any"/);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    clearTimeout(timer);
  }
});

test('30 concurrent duplicates: every answer 2xx, one workflow, no more signals than deliveries', async () => {
  const payload = alertIn('lb-5xx-open', 'rx-coalesce-1');
  const workflowId = remediationWorkflowId('rx-coalesce-1', 'web-bs');
  const answers = await Promise.all(Array.from({ length: 30 }, () => post('/alerts', payload)));
  assert.deepEqual(
    answers.map((a) => a.status),
    Array.from({ length: 30 }, () => 200),
  );
  const received = await signals(workflowId);
  assert.ok(received.length >= 1 && received.length <= 30, `coalesced into ${received.length} signal(s)`);
});
