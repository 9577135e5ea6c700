/**
 * Places where the simulator used to differ from GCP, each checked the way GCP behaves: aggregated
 * lists name empty scopes, one resource takes one change at a time, IPv6 ranges are accepted, a
 * missing network is refused, regular-expression list filters work, request logs last as long as the
 * metrics, and a deny of one /24 of the probe ranges is seen.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import { aggregatedScopes } from '../../simulator/aggregated';
import { loadScenario, parseScenario } from '../../simulator/scenario';
import type { LogEntryJson } from '../../simulator/telemetry';
import {
  ARCHIVED_PER_MINUTE,
  LogStore,
  REQUEST_LOG_CAPACITY,
  TELEMETRY_MINUTES_KEPT,
} from '../../simulator/telemetry';
import { World } from '../../simulator/world';
import type { Sim } from './http-harness';
import { startSim } from './http-harness';
import { untilDone } from './http-ops';

let sim: Sim;
let backendServices: InstanceType<typeof compute.BackendServicesClient>;
let healthChecks: InstanceType<typeof compute.HealthChecksClient>;
let firewalls: InstanceType<typeof compute.FirewallsClient>;

before(async () => {
  // Operations take a real second, so a second change can arrive while the first runs.
  sim = await startSim('neg-empty', { operationDelaySimMs: 50_000 });
  backendServices = new compute.BackendServicesClient(sim.clientOptions);
  healthChecks = new compute.HealthChecksClient(sim.clientOptions);
  firewalls = new compute.FirewallsClient(sim.clientOptions);
});

after(async () => {
  await sim.close();
});

const waitDone = (result: unknown) => untilDone(sim, result);

function rejection(code: number, reason: string) {
  return (err: unknown) => {
    const e = err as { code?: unknown; message?: string };
    const body = JSON.parse(e.message ?? '{}') as { error?: { errors?: { reason?: string }[] } };
    assert.equal(Number(e.code), code, e.message);
    assert.equal(body.error?.errors?.[0]?.reason, reason);
    return true;
  };
}

test('an aggregated list names every scope; an empty one carries a NO_RESULTS_ON_PAGE warning', async () => {
  const { status, json } = await sim.call(
    'GET',
    `/compute/v1/projects/${sim.project}/aggregated/networkEndpointGroups`,
  );
  assert.equal(status, 200);
  const items = json['items'] as Record<
    string,
    { networkEndpointGroups?: { name: string }[]; warning?: unknown }
  >;
  assert.deepEqual(
    items['regions/us-central1']?.networkEndpointGroups?.map((n) => n.name),
    ['api-neg'],
  );
  assert.deepEqual(items['zones/us-central1-b'], {
    warning: {
      code: 'NO_RESULTS_ON_PAGE',
      message: "There are no results for scope 'zones/us-central1-b' on this page.",
      data: [{ key: 'scope', value: 'zones/us-central1-b' }],
    },
  });
  assert.ok(Object.keys(items).length > 20, 'every region and zone is listed');
  // The real client walks them all and finds the one NEG.
  const negs = new compute.NetworkEndpointGroupsClient(sim.clientOptions);
  const found: string[] = [];
  for await (const [, list] of negs.aggregatedListAsync({ project: sim.project })) {
    for (const n of list.networkEndpointGroups ?? []) found.push(String(n.name));
  }
  assert.deepEqual(found, ['api-neg']);
});

test('aggregated lists name the regions of regional resources too, beyond the catalogue', async (t) => {
  const world = new World({ timeScale: 0.01, seed: 1 });
  t.after(() => world.stop());
  const { projectId } = await world.load(
    parseScenario(
      `
name: far
project: far-project
subnetworks:
  - { name: proxy-only, region: me-central2, ipCidrRange: 10.129.0.0/23, purpose: REGIONAL_MANAGED_PROXY }
healthChecks: [{ name: hc, region: southamerica-east1 }]
`,
      'far.yaml',
    ),
  );
  const project = world.projects.get(projectId);
  assert.ok(project);
  const scopes = aggregatedScopes(project);
  assert.ok(scopes.includes('regions/me-central2'), "a proxy-only subnet's region");
  assert.ok(scopes.includes('regions/southamerica-east1'), "a regional health check's region");
});

test('a second change of a resource while its first is running is refused (resourceNotReady)', async () => {
  const first = await healthChecks.patch({
    project: sim.project,
    healthCheck: 'web-hc',
    healthCheckResource: { checkIntervalSec: 6 },
  });
  await assert.rejects(
    healthChecks.patch({
      project: sim.project,
      healthCheck: 'web-hc',
      healthCheckResource: { checkIntervalSec: 7 },
    }),
    rejection(400, 'resourceNotReady'),
  );
  await waitDone(first);
  await waitDone(
    await healthChecks.patch({
      project: sim.project,
      healthCheck: 'web-hc',
      healthCheckResource: { checkIntervalSec: 7 },
    }),
  );
  const [hc] = await healthChecks.get({ project: sim.project, healthCheck: 'web-hc' });
  assert.equal(hc.checkIntervalSec, 7);
});

test('a backend service patch needs its fingerprint; two made from one read cannot both apply', async () => {
  await assert.rejects(
    backendServices.patch({
      project: sim.project,
      backendService: 'web-bs',
      backendServiceResource: { timeoutSec: 40 },
    }),
    rejection(412, 'conditionNotMet'),
  );
  const [read] = await backendServices.get({ project: sim.project, backendService: 'web-bs' });
  const patch = (timeoutSec: number) =>
    backendServices.patch({
      project: sim.project,
      backendService: 'web-bs',
      backendServiceResource: { timeoutSec, fingerprint: read.fingerprint },
    });
  await waitDone(await patch(40));
  await assert.rejects(patch(50), rejection(412, 'conditionNotMet'));
  const [now] = await backendServices.get({ project: sim.project, backendService: 'web-bs' });
  assert.equal(now.timeoutSec, 40);
});

test('firewalls: IPv6 ranges are accepted, not mixed with IPv4; a missing network is refused', async () => {
  const done = await waitDone(
    await firewalls.insert({
      project: sim.project,
      firewallResource: {
        name: 'allow-probes-v6',
        sourceRanges: ['2600:2d00:1:b029::/64', '2600:2d00:1:1::/64'],
        allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
      },
    }),
  );
  assert.ok(!done.error);
  const [v6] = await firewalls.get({ project: sim.project, firewall: 'allow-probes-v6' });
  assert.deepEqual(v6.sourceRanges, ['2600:2d00:1:b029::/64', '2600:2d00:1:1::/64']);
  await assert.rejects(
    firewalls.insert({
      project: sim.project,
      firewallResource: {
        name: 'mixed',
        sourceRanges: ['35.191.0.0/16', '2600:2d00:1:b029::/64'],
        allowed: [{ IPProtocol: 'tcp' }],
      },
    }),
    rejection(400, 'invalid'),
  );
  await assert.rejects(
    firewalls.insert({
      project: sim.project,
      firewallResource: {
        name: 'nowhere',
        network: `projects/${sim.project}/global/networks/nowhere`,
        sourceRanges: ['35.191.0.0/16'],
        allowed: [{ IPProtocol: 'tcp' }],
      },
    }),
    rejection(404, 'notFound'),
  );
});

test('list filters take RE2 regular expressions with eq and ne, matched against the whole field', async () => {
  const names = async (filter: string) =>
    (await backendServices.list({ project: sim.project, filter }))[0].map((b) => b.name);
  assert.deepEqual(await names('name eq web-.*'), ['web-bs']);
  assert.deepEqual(await names("name eq 'api-bs'"), ['api-bs']);
  assert.deepEqual(await names('name eq web'), [], 'the expression must match the entire name');
  assert.deepEqual(await names('name ne .*-bs'), []);
  assert.deepEqual(await names('(name eq .*-bs) (portName ne https)'), ['api-bs', 'web-bs']);
  assert.deepEqual(await names('name = "web-bs"'), ['web-bs'], 'AIP-160 comparisons still work');
  await assert.rejects(
    backendServices.list({ project: sim.project, filter: 'name eq web-(' }),
    rejection(400, 'invalid'),
  );
});

test('request logs cover every minute the metrics keep, as a sample once the newest entries push them out', () => {
  const store = new LogStore(100);
  const start = Date.UTC(2026, 0, 1);
  const entry = (minute: number, i: number, status: number): Omit<LogEntryJson, 'insertId'> => ({
    logName: 'projects/p/logs/requests',
    resource: { type: 'http_load_balancer', labels: { backend_service_name: 'web-bs' } },
    timestamp: new Date(start + minute * 60_000 + i).toISOString(),
    receiveTimestamp: new Date(start + minute * 60_000 + i).toISOString(),
    severity: 'INFO',
    httpRequest: {
      requestMethod: 'GET',
      requestUrl: 'http://x/',
      status,
      remoteIp: '203.0.113.1',
      latency: '0.01s',
    },
  });
  // 400 minutes of 500 requests each, half of them 502s.
  for (let minute = 0; minute < 400; minute++) {
    for (let i = 0; i < 500; i++) store.addRequest(entry(minute, i, i % 2 === 0 ? 200 : 502));
  }
  const byMinute = new Map<number, LogEntryJson[]>();
  for (const e of store.entries()) {
    const minute = Math.floor((Date.parse(e.timestamp) - start) / 60_000);
    byMinute.set(minute, [...(byMinute.get(minute) ?? []), e]);
  }
  const kept = [...byMinute.keys()].sort((a, b) => a - b);
  // As the metrics: the newest minute and the TELEMETRY_MINUTES_KEPT before it.
  assert.equal(kept[0], 399 - TELEMETRY_MINUTES_KEPT, 'minutes older than the metrics keep are gone');
  assert.equal(kept.length, TELEMETRY_MINUTES_KEPT + 1);
  const old = byMinute.get(100) ?? [];
  assert.equal(old.length, ARCHIVED_PER_MINUTE);
  const errors = old.filter((e) => e.httpRequest?.status === 502).length;
  assert.ok(errors > 10 && errors < 50, `a uniform sample keeps the 5xx share (${errors}/${old.length})`);
  const newest = new Set(byMinute.get(399)?.map((e) => e.timestamp));
  for (let i = 400; i < 500; i++) {
    assert.ok(
      newest.has(new Date(start + 399 * 60_000 + i).toISOString()),
      'the newest entries are all kept',
    );
  }
  assert.ok(REQUEST_LOG_CAPACITY >= 20_000);
});

test('a firewall rule that denies one /24 of 35.191.0.0/16 leaves the backends UNHEALTHY', async () => {
  const scenario = loadScenario('healthy');
  scenario.firewalls.push({
    name: 'deny-one-block',
    direction: 'INGRESS',
    priority: 500,
    sourceRanges: ['35.191.77.0/24'],
    denied: [{ IPProtocol: 'tcp' }],
    disabled: false,
  });
  const world = new World({ timeScale: 0.02, seed: 3 });
  try {
    const project = await world.load(scenario);
    const states = [...project.health.values()].map((h) => h.state);
    assert.deepEqual(states, ['UNHEALTHY', 'UNHEALTHY', 'UNHEALTHY']);
    assert.match(String([...project.health.values()][0]?.lastResult), /deny-one-block/);
  } finally {
    await world.stop();
  }
});
