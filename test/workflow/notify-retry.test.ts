import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createNotifyActivities } from '../../activities/notify';
import type { TransitionEvent } from '../../core/model';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let server: Server;
let base: string;
const hits: string[] = [];

before(async () => {
  let slackCalls = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(req.url ?? '');
      // Slack fails the first time only.
      const fail = req.url === '/slack' && ++slackCalls === 1;
      res.writeHead(fail ? 503 : 200).end(fail ? 'rollup_error' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('a failed sink is retried by Temporal, and the sinks that delivered are not posted twice', async () => {
  const taskQueue = `notify-${process.pid}`;
  const lines: string[] = [];
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./fixtures/notify-workflow.ts', import.meta.url)),
    activities: createNotifyActivities({
      webhookUrl: `${base}/hook`,
      slackWebhookUrl: `${base}/slack`,
      writeLine: (l) => lines.push(l),
    }),
  });
  const event: TransitionEvent = {
    workflowId: 'lbmedic/demo-project/web-bs',
    project: 'demo-project',
    backendService: 'web-bs',
    phase: 'AWAITING_APPROVAL',
    summary: 'plan ready: 1 change, waiting for 1 approval',
    at: '2026-11-24T02:16:57.473Z',
  };
  const result = await worker.runUntil(
    env.client.workflow.execute('notifyWorkflow', {
      taskQueue,
      workflowId: `notify-${Date.now()}`,
      args: [event],
    }),
  );
  assert.deepEqual(result, { delivered: ['log', 'webhook', 'slack'] });
  assert.deepEqual(hits.sort(), ['/hook', '/slack', '/slack']);
  assert.equal(lines.length, 1);
});
