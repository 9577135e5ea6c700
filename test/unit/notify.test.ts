import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createNotifyActivities } from '../../activities/notify';
import { FAILURE_TYPES } from '../../core/model';
import { loadConfig } from '../../runtime/config';
import type { TransitionEvent } from '../../core/model';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A real HTTP server on loopback; `answers[path]` sets a status, `hang` never answers. */
let server: Server;
let base: string;
let received: Received[];
let answers: Record<string, number>;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      if (path.startsWith('/hang')) return;
      const status = answers[path] ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : `invalid_payload for ${base}${path}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  answers = {};
});

const event: TransitionEvent = {
  workflowId: 'lbmedic/demo-project/web-bs',
  project: 'demo-project',
  backendService: 'web-bs',
  phase: 'DONE',
  outcome: 'REMEDIATED',
  summary: 'fixed 3 root causes; 3/3 backends HEALTHY <!channel>',
  details: 'healthCheck web-hc: port 8080 → 9090\nnamedPorts http:8080 → http:9090',
  at: '2026-11-24T02:16:57.473Z',
};

const lines: string[] = [];
const writeLine = (l: string) => lines.push(l);
beforeEach(() => void lines.splice(0));

test('by default only a structured log line is written', async () => {
  const { notify } = createNotifyActivities({ writeLine });
  assert.deepEqual(await notify(event), { delivered: ['log'] });
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(line.msg, 'lbmedic transition');
  assert.equal(line.outcome, 'REMEDIATED');
  assert.equal(line.workflowId, event.workflowId);
  assert.equal(received.length, 0);
});

test('the generic webhook receives the event itself as JSON', async () => {
  const { notify } = createNotifyActivities({ writeLine, webhookUrl: `${base}/hook` });
  assert.deepEqual(await notify(event), { delivered: ['log', 'webhook'] });
  assert.equal(received.length, 1);
  const [r] = received;
  assert.equal(r!.path, '/hook');
  assert.equal(r!.headers['content-type'], 'application/json');
  assert.equal(r!.headers['x-lbmedic-event-id'], `${event.workflowId}/DONE/${event.at}`);
  assert.deepEqual(r!.body, event);
});

interface SlackBody {
  text: string;
  blocks: {
    type: string;
    text?: { type: string; text: string; emoji?: boolean };
    elements?: { text: string }[];
  }[];
}

test('Slack gets text + blocks: header with the outcome emoji, summary, context, details in a code block', async () => {
  const { notify } = createNotifyActivities({ writeLine, slackWebhookUrl: `${base}/services/T0/B0/secret` });
  assert.deepEqual(await notify(event), { delivered: ['log', 'slack'] });
  const body = received[0]!.body as SlackBody;
  assert.match(body.text, /^:white_check_mark: demo-project\/web-bs REMEDIATED: fixed 3 root causes/);
  assert.deepEqual(
    body.blocks.map((b) => b.type),
    ['header', 'section', 'context', 'section'],
  );
  const [header, summary, context, details] = body.blocks;
  assert.deepEqual(header!.text, {
    type: 'plain_text',
    text: ':white_check_mark: demo-project/web-bs: REMEDIATED',
    emoji: true,
  });
  // Text that is not ours is escaped, so it cannot ping the channel.
  assert.equal(summary!.text!.text, 'fixed 3 root causes; 3/3 backends HEALTHY &lt;!channel&gt;');
  assert.match(
    context!.elements![0]!.text,
    /project demo-project · backend service web-bs · workflow lbmedic\/demo-project\/web-bs/,
  );
  assert.equal(
    details!.text!.text,
    '```healthCheck web-hc: port 8080 → 9090\nnamedPorts http:8080 → http:9090```',
  );
});

test("Slack's limits hold for long text; an in-flight transition gets a neutral emoji", async () => {
  const { notify } = createNotifyActivities({ writeLine, slackWebhookUrl: `${base}/services/T0/B0/secret` });
  await notify({
    ...event,
    outcome: undefined,
    phase: 'AWAITING_APPROVAL',
    backendService: 'b'.repeat(200),
    summary: '<'.repeat(5000),
    details: '```'.repeat(3000),
  });
  const body = received[0]!.body as SlackBody;
  const [header, summary, , details] = body.blocks;
  assert.ok(header!.text!.text.startsWith(':large_blue_circle: demo-project/bbb'));
  assert.ok(header!.text!.text.length <= 150);
  assert.ok(summary!.text!.text.length <= 3000);
  assert.match(summary!.text!.text, /^(&lt;)+…$/, 'no half entity at the cut');
  const code = details!.text!.text;
  assert.ok(code.length <= 3000, `code block is ${code.length} characters`);
  assert.ok(code.startsWith('```') && code.endsWith('…```'));
  assert.equal(code.slice(3, -3).includes('```'), false, 'details cannot close the code block early');
  assert.ok(body.text.length <= 3000);
});

test('a non-2xx answer is a retryable failure that names the host, never the secret path', async () => {
  answers['/services/T0/B0/secret'] = 404;
  const { notify } = createNotifyActivities({
    writeLine,
    webhookUrl: `${base}/hook`,
    slackWebhookUrl: `${base}/services/T0/B0/secret`,
  });
  const err = await notify(event).then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure);
  assert.equal(err.type, FAILURE_TYPES.notifySink);
  assert.equal(err.nonRetryable, false);
  const host = new URL(base).host;
  assert.match(err.message, new RegExp(`slack \\(${host}\\): HTTP 404 invalid_payload`));
  assert.equal(err.message.includes('secret'), false, err.message);
  assert.equal(received.length, 2, 'the healthy sink was still told');
});

test('a sink that does not answer times out within the bound', async () => {
  const { notify } = createNotifyActivities({ writeLine, webhookUrl: `${base}/hang`, timeoutMs: 200 });
  const started = Date.now();
  await assert.rejects(notify(event), /webhook \(127\.0\.0\.1:\d+\): timed out/);
  assert.ok(Date.now() - started < 2_000);
});

test('a refused connection is retryable too', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const { notify } = createNotifyActivities({ writeLine, webhookUrl: `http://127.0.0.1:${port}/x` });
  await assert.rejects(
    notify(event),
    (e: ApplicationFailure) => !e.nonRetryable && /ECONNREFUSED/.test(e.message),
  );
});

test('a retry skips the sinks that delivered in an earlier attempt (heartbeat details)', async () => {
  answers['/slack'] = 500;
  const { notify } = createNotifyActivities({
    writeLine,
    webhookUrl: `${base}/hook`,
    slackWebhookUrl: `${base}/slack`,
  });
  const first = new MockActivityEnvironment({ attempt: 1 });
  const beats: unknown[] = [];
  first.on('heartbeat', (d: unknown) => beats.push(d));
  await assert.rejects(first.run(notify, event), /slack .*HTTP 500/);
  assert.deepEqual(beats, [{ delivered: ['log', 'webhook'] }]);

  received = [];
  answers = {};
  const second = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: beats[0] });
  assert.deepEqual(await second.run(notify, event), { delivered: ['log', 'webhook', 'slack'] });
  assert.deepEqual(
    received.map((r) => r.path),
    ['/slack'],
  );
  assert.equal(lines.length, 1, 'the log line is not repeated either');
});

test('notification settings come from the environment; a bad URL is named without echoing it', () => {
  const c = loadConfig({
    LBMEDIC_NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/lbmedic',
    LBMEDIC_NOTIFY_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/XYZ',
    LBMEDIC_NOTIFY_TIMEOUT_MS: '2500',
  });
  assert.equal(c.notifyWebhookUrl, 'https://hooks.example.com/lbmedic');
  assert.equal(c.notifySlackWebhookUrl, 'https://hooks.slack.com/services/T0/B0/XYZ');
  assert.equal(c.notifyTimeoutMs, 2500);
  assert.equal(loadConfig({}).notifyTimeoutMs, 5000);
  assert.throws(
    () =>
      loadConfig({
        LBMEDIC_NOTIFY_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0/B0/XYZ',
        LBMEDIC_NOTIFY_WEBHOOK_URL: 'ftp://example.com/x',
        LBMEDIC_NOTIFY_TIMEOUT_MS: '600000',
      }),
    (err: Error) =>
      err.message.includes('LBMEDIC_NOTIFY_SLACK_WEBHOOK_URL: must be an http(s) URL') &&
      err.message.includes('LBMEDIC_NOTIFY_WEBHOOK_URL: must be an http(s) URL') &&
      err.message.includes('LBMEDIC_NOTIFY_TIMEOUT_MS') &&
      !err.message.includes('XYZ'),
  );
});
