/**
 * Simulated Cloud Monitoring alerting (simulator/alerting*.ts) through the real paths: `setup alerts`
 * creates its policies with the real Monitoring clients, the simulator evaluates them over the traffic
 * of each shipped scenario and POSTs schema-1.2 notifications to a loopback webhook, which parses them
 * with the receiver's own parser.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { alertTarget } from '../../core/alert-targets';
import { parseWebhookBody, type WebhookNotification } from '../../core/alerts';
import { setupAlerts } from '../../setup/alerts';
import type { SimIncident } from '../../simulator/alerting';
import { scenarioNames } from '../../simulator/scenario';
import { World } from '../../simulator/world';
import { loadScenario } from '../../simulator/scenario';
import { control, eventually, startSim, type SimHarness } from '../helpers/sim';

/** A webhook on loopback: what it received (parsed by core/alerts.ts), answering as `answer` says. */
interface Hook {
  url: string;
  received: { notification?: WebhookNotification; error?: string; auth?: string }[];
  answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> };
  close(): Promise<void>;
}

async function startHook(): Promise<Hook> {
  const hook: Hook = {
    url: '',
    received: [],
    answer: () => ({ status: 200 }),
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { status, headers } = hook.answer(req);
      if (status === 200) {
        const parsed = parseWebhookBody(JSON.parse(body));
        hook.received.push(
          parsed.ok
            ? {
                notification: parsed.notification,
                ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
              }
            : { error: parsed.error },
        );
      }
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ outcome: status === 200 ? 'accepted' : 'refused' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/alerts`;
  hook.close = () => new Promise((r) => server.close(() => r()));
  return hook;
}

let hook: Hook;
before(async () => {
  hook = await startHook();
});
after(async () => {
  await hook.close();
});

const incidents = async (sim: SimHarness) =>
  (await control<{ incidents: SimIncident[] }>(sim, 'GET', `incidents?project=${sim.project}`)).incidents;

/**
 * Scenarios whose load balancer stays below the policies: healthy ones, and keepalive-mismatch, whose
 * ~3% of 502s (backend_connection_closed_before_data_sent_to_client, not failed_to_pick_backend) stay
 * under the 5% threshold, as they would in Cloud Monitoring. Every other shipped scenario must alert.
 */
const SILENT = new Set(['healthy', 'healthy-topologies', 'neg-serverless', 'keepalive-mismatch']);
/**
 * Simulated minutes a silent scenario is watched: longer than a broken load balancer needs to alert
 * (a 60 s sample, 210 s of ingestion, the 120 s duration) plus an evaluation.
 */
const SILENT_MINUTES = 7;
/**
 * Before a silent scenario's policies exist: its backends steady, and then the evaluator's look-back
 * (the same 7 minutes) past, so that a start-up flap is not judged. On two busy cores the first TLS
 * probe of an HTTPS or HTTP/2 backend can miss its 100 ms real timeout (5 s simulated at 0.02): the
 * backend is UNHEALTHY for a round and the load balancer answers 502 for real, which would alert.
 */
async function steady(sim: SimHarness): Promise<void> {
  await eventually(
    `${sim.project}: every backend HEALTHY`,
    async () => {
      const health = [...(sim.world.projects.get(sim.project)?.health.values() ?? [])];
      return health.every((h) => h.state === 'HEALTHY') ? true : undefined;
    },
    30_000,
  );
  await new Promise((r) => setTimeout(r, SILENT_MINUTES * 60_000 * sim.world.timeScale));
}
const TIME_SCALE = 0.01;
/** The World's default scale for healthy-topologies, which runs alone: its TLS probes need the time. */
const ALONE = 'healthy-topologies';

async function checkScenario(name: string, index: number): Promise<string> {
  const timeScale = name === ALONE ? 0.02 : TIME_SCALE;
  const sim = await startSim(name, { timeScale, project: `alerting-${index}` });
  try {
    if (SILENT.has(name)) await steady(sim);
    await setupAlerts(sim.clients, { project: sim.project, webhookUrl: `${hook.url}?token=${name}` });
    const services = [...(sim.world.projects.get(sim.project)?.backendServices.keys() ?? [])];
    if (SILENT.has(name)) {
      await new Promise((r) => setTimeout(r, SILENT_MINUTES * 60_000 * timeScale));
      assert.deepEqual(await incidents(sim), [], `${name}: no incident`);
      return `${name}: silent`;
    }
    const opened = await eventually(
      `${name}: an incident delivered`,
      async () => {
        const list = await incidents(sim);
        return list.find((i) => i.notifications.some((n) => n.outcome === 'delivered'));
      },
      60_000,
    );
    const got = hook.received.find((r) => r.notification?.incident.incident_id === opened.incidentId);
    assert.ok(got?.notification, `${name}: the webhook parsed the notification`);
    const target = alertTarget(got.notification.incident);
    assert.ok(
      'backendServices' in target && target.backendServices.every((bs) => services.includes(bs)),
      `${name}: the alert names a backend service of the scenario: ${JSON.stringify(target)}`,
    );
    return `${name}: ${opened.policyDisplayName} on ${JSON.stringify(opened.resource.labels)}`;
  } finally {
    await sim.stop();
  }
}

test('setup alerts policies fire for every shipped fault scenario and stay silent for the healthy ones', async () => {
  const all = scenarioNames();
  // The silent ones first, together (they only wait); then three Worlds at a time, each scenario in
  // its own World, the machine's two cores not swamped.
  const names = [...all.filter((n) => SILENT.has(n)), ...all.filter((n) => !SILENT.has(n))];
  const results = await Promise.all(
    names.filter((n) => SILENT.has(n)).map((name, i) => checkScenario(name, i)),
  );
  for (let i = results.length; i < names.length; i += 3) {
    results.push(...(await Promise.all(names.slice(i, i + 3).map((name, j) => checkScenario(name, i + j)))));
  }
  assert.equal(results.length, names.length);
  for (const r of results) console.log(`  ${r}`);
  assert.equal(
    hook.received.filter((r) => r.error).length,
    0,
    JSON.stringify(hook.received.filter((r) => r.error)),
  );
});

test('a load balancer fixed through the Compute API closes the 5xx incident, and the closed notification follows the open one', async () => {
  const sim = await startSim('hc-wrong-port', { timeScale: TIME_SCALE, project: 'alerting-close' });
  try {
    await setupAlerts(sim.clients, { project: sim.project, webhookUrl: `${hook.url}?token=close` });
    const open = await eventually(
      'the 5xx incident',
      async () => (await incidents(sim)).find((i) => i.kind === 'threshold' && i.state === 'open'),
      60_000,
    );
    assert.equal(open.resource.labels['backend_target_name'], 'web-bs');
    // The fix, through the Compute API: the health check probes the port the app serves.
    await sim.clients.healthChecks.patch({
      project: sim.project,
      healthCheck: 'web-hc',
      healthCheckResource: { httpHealthCheck: { port: 8080 } },
    });
    const closed = await eventually(
      'the 5xx incident closed and notified',
      async () => {
        const found = (await incidents(sim)).find((i) => i.incidentId === open.incidentId);
        return found?.state === 'closed' && found.notifications.every((n) => n.outcome === 'delivered')
          ? found
          : undefined;
      },
      60_000,
    );
    assert.equal(closed.closedBecause, 'the condition is no longer met');
    assert.deepEqual(
      closed.notifications.map((n) => n.state),
      ['open', 'closed'],
    );
    const bodies = hook.received
      .map((r) => r.notification?.incident)
      .filter((i) => i?.incident_id === open.incidentId);
    assert.deepEqual(
      bodies.map((i) => i?.state),
      ['open', 'closed'],
    );
    assert.ok((bodies[1]?.ended_at ?? 0) >= (bodies[1]?.started_at ?? Infinity));
    assert.match(bodies[1]?.summary ?? '', /returned to normal with a value of 0\.000/);
  } finally {
    await sim.stop();
  }
});

test('log-match: one incident per rate-limit period and policy, autoClose without a closed notification', async () => {
  const world = new World({ timeScale: 0.001 });
  await world.load({ ...loadScenario('healthy'), project: 'alerting-log' });
  try {
    const project = world.projects.get('alerting-log');
    assert.ok(project);
    const channelId = '1';
    project.notificationChannels.set(channelId, {
      name: `projects/alerting-log/notificationChannels/${channelId}`,
      type: 'webhook_tokenauth',
      labels: { url: `${hook.url}?token=log` },
    });
    project.alertPolicies.set('7', {
      name: 'projects/alerting-log/alertPolicies/7',
      displayName: 'failed_to_pick_backend',
      conditions: [
        {
          name: 'projects/alerting-log/alertPolicies/7/conditions/1',
          displayName: 'log match',
          conditionMatchedLog: {
            filter:
              'resource.type="http_load_balancer" AND jsonPayload.statusDetails="failed_to_pick_backend"',
            labelExtractors: { backend_service_name: 'EXTRACT(resource.labels.backend_service_name)' },
          },
        },
      ],
      alertStrategy: { notificationRateLimit: { period: '300s' }, autoClose: '1800s' },
      notificationChannels: [`projects/alerting-log/notificationChannels/${channelId}`],
    });
    const entry = (bs: string, details = 'failed_to_pick_backend') => ({
      logName: 'projects/alerting-log/logs/requests',
      resource: {
        type: 'http_load_balancer',
        labels: { backend_service_name: bs, project_id: 'alerting-log' },
      },
      timestamp: new Date().toISOString(),
      receiveTimestamp: new Date().toISOString(),
      severity: 'ERROR' as const,
      jsonPayload: { statusDetails: details },
    });
    const t0 = Date.now();
    const sec = (s: number) => t0 + s * 1000 * world.timeScale;
    world.alerting.logEntry(project, entry('web-bs', 'response_sent_by_backend'), sec(0));
    world.alerting.logEntry(project, entry('web-bs'), sec(1));
    world.alerting.logEntry(project, entry('api-bs'), sec(100)); // within 300 s: rate-limited
    world.alerting.logEntry(project, entry('api-bs'), sec(302)); // the next period: a second incident
    const list = world.alerting.list('alerting-log');
    assert.deepEqual(
      list.map((i) => [i.kind, i.resource.labels['backend_service_name'], i.metric.labels]),
      [
        ['log-match', 'web-bs', { backend_service_name: 'web-bs' }],
        ['log-match', 'api-bs', { backend_service_name: 'api-bs' }],
      ],
    );
    // 1800 s without a matching entry after the first: it closes; the second is younger and stays open.
    world.alerting.tick(project, undefined, sec(1802));
    assert.deepEqual(
      world.alerting.list('alerting-log').map((i) => [i.state, i.closedBecause]),
      [
        ['closed', 'autoClose: no data for 1800s'],
        ['open', undefined],
      ],
    );
    const first = list[0];
    await eventually('the open notification', async () =>
      first?.notifications[0]?.outcome === 'delivered' ? true : undefined,
    );
    assert.deepEqual(
      first?.notifications.map((n) => n.state),
      ['open'],
      'log-based policies notify on open only',
    );
  } finally {
    await world.stop();
  }
});

test('webhook delivery: basic auth after the 401 challenge, retried after a 503', async () => {
  const world = new World({ timeScale: 0.001 });
  await world.load({ ...loadScenario('healthy'), project: 'alerting-retry' });
  const previous = hook.answer;
  try {
    const project = world.projects.get('alerting-retry');
    assert.ok(project);
    const expected = `Basic ${Buffer.from('monitoring:s3cret').toString('base64')}`;
    let authorized = 0;
    hook.answer = (req) => {
      if (req.headers.authorization !== expected)
        return { status: 401, headers: { 'www-authenticate': 'Basic realm="lbmedic"' } };
      authorized += 1;
      return authorized === 1 ? { status: 503 } : { status: 200 };
    };
    project.notificationChannels.set('2', {
      name: 'projects/alerting-retry/notificationChannels/2',
      type: 'webhook_basicauth',
      labels: { url: hook.url, username: 'monitoring', password: 's3cret' },
    });
    project.alertPolicies.set('8', {
      name: 'projects/alerting-retry/alertPolicies/8',
      displayName: 'log',
      conditions: [
        {
          name: 'projects/alerting-retry/alertPolicies/8/conditions/1',
          conditionMatchedLog: { filter: 'jsonPayload.statusDetails="failed_to_pick_backend"' },
        },
      ],
      alertStrategy: { notificationRateLimit: { period: '300s' } },
      notificationChannels: ['projects/alerting-retry/notificationChannels/2'],
    });
    world.alerting.logEntry(project, {
      logName: 'projects/alerting-retry/logs/requests',
      resource: { type: 'http_load_balancer', labels: { backend_service_name: 'web-bs' } },
      timestamp: new Date().toISOString(),
      receiveTimestamp: new Date().toISOString(),
      severity: 'ERROR',
      jsonPayload: { statusDetails: 'failed_to_pick_backend' },
    });
    const [incident] = world.alerting.list('alerting-retry');
    const notification = await eventually('the delivery', async () =>
      incident?.notifications[0]?.outcome === 'pending' ? undefined : incident?.notifications[0],
    );
    assert.equal(notification.outcome, 'delivered');
    // Attempt 1: 401 challenge then 503; attempt 2: 200.
    assert.deepEqual(
      notification.attempts.map((a) => a.status),
      [503, 200],
    );
    assert.equal(hook.received.at(-1)?.auth, expected);
  } finally {
    hook.answer = previous;
    await world.stop();
  }
});
