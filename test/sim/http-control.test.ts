import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import monitoring from '@google-cloud/monitoring';
import type { Sim } from './http-harness';
import { startSim } from './http-harness';

const ZONE = 'us-central1-a';
let sim: Sim;

before(async () => {
  sim = await startSim('healthy', { bodyLimitBytes: 64 * 1024 });
});

after(async () => {
  await sim.close();
});

async function states(
  client: InstanceType<typeof compute.BackendServicesClient>,
): Promise<Map<string, string>> {
  const [health] = await client.getHealth({
    project: sim.project,
    backendService: 'web-bs',
    resourceGroupReferenceResource: { group: `zones/${ZONE}/instanceGroups/web-ig` },
  });
  return new Map(
    (health.healthStatus ?? []).map((s) => [
      String(s.instance).split('/').pop() ?? '',
      String(s.healthState),
    ]),
  );
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('healthz and state', async () => {
  assert.deepEqual((await sim.call('GET', '/_sim/healthz')).json, { ok: true });
  const state = await sim.call('GET', '/_sim/state');
  assert.equal(state.status, 200);
  const projects = state.json['projects'] as Record<string, { backendServices: Record<string, unknown> }>;
  assert.ok(projects['demo-project']?.backendServices['web-bs']);
  const scenarios = (await sim.call('GET', '/_sim/scenarios')).json['scenarios'] as string[];
  assert.ok(scenarios.includes('port-moved'));
});

test('a 503 fault with count 1 fails the first matching call only', async () => {
  const client = new compute.BackendServicesClient(sim.clientOptions);
  const added = await sim.call('POST', '/_sim/faults', {
    status: 503,
    match: { service: 'compute', method: 'get', path: '/global/backendServices/web-bs$' },
  });
  assert.equal(added.status, 200);
  assert.equal(added.json['count'], 1);
  assert.equal(((await sim.call('GET', '/_sim/faults')).json['faults'] as unknown[]).length, 1);

  await assert.rejects(client.get({ project: sim.project, backendService: 'web-bs' }), (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, 503);
    const body = JSON.parse((err as Error).message) as {
      error: { status: string; errors: { reason: string }[] };
    };
    assert.equal(body.error.status, 'UNAVAILABLE');
    assert.equal(body.error.errors[0]?.reason, 'backendError');
    return true;
  });
  const [web] = await client.get({ project: sim.project, backendService: 'web-bs' });
  assert.equal(web.name, 'web-bs');
  assert.equal(((await sim.call('GET', '/_sim/faults')).json['faults'] as unknown[]).length, 0);
});

test('faults on Logging and Monitoring use their error form; faults can be listed and cleared', async () => {
  await sim.call('POST', '/_sim/faults', { status: 429, match: { service: 'monitoring' }, count: 0 });
  await sim.call('POST', '/_sim/faults', { delayMs: 20, match: { service: 'logging' } });
  const metrics = new monitoring.MetricServiceClient(sim.clientOptions);
  for (let i = 0; i < 2; i++) {
    await assert.rejects(
      metrics.listTimeSeries({
        name: `projects/${sim.project}`,
        filter: 'metric.type="x"',
        interval: { endTime: { seconds: Math.floor(Date.now() / 1000) } },
      }),
      (err: unknown) => {
        assert.equal((err as { code?: unknown }).code, 429, 'count 0 keeps firing');
        const body = JSON.parse((err as Error).message) as { error: Record<string, unknown> };
        assert.equal(body.error['status'], 'RESOURCE_EXHAUSTED');
        assert.equal(body.error['errors'], undefined, 'no legacy errors[] outside Compute');
        return true;
      },
    );
  }
  const cleared = await sim.call('DELETE', '/_sim/faults');
  assert.equal(cleared.json['cleared'], 2);
  const bad = await sim.call('POST', '/_sim/faults', { status: 418 });
  assert.equal(bad.status, 400);
  assert.match(String((bad.json['error'] as { message: string }).message), /status/);
});

test('the request log counts mutations', async () => {
  await sim.call('DELETE', '/_sim/requests');
  const client = new compute.BackendServicesClient(sim.clientOptions);
  const [{ fingerprint }] = await client.get({ project: sim.project, backendService: 'web-bs' });
  const [result] = await client.patch({
    project: sim.project,
    backendService: 'web-bs',
    backendServiceResource: { description: 'counted', fingerprint },
  });
  await new compute.GlobalOperationsClient(sim.clientOptions).wait({
    project: sim.project,
    operation: result.latestResponse.name ?? '',
  });
  const log = (await sim.call('GET', '/_sim/requests')).json['requests'] as {
    method: string;
    path: string;
    status: number;
  }[];
  const patches = log.filter((r) => r.method === 'PATCH');
  assert.equal(patches.length, 1);
  assert.equal(patches[0]?.path, '/compute/v1/projects/demo-project/global/backendServices/web-bs');
  assert.equal(patches[0]?.status, 200);
  assert.ok(log.some((r) => r.path.endsWith('/wait')));
  assert.ok(!log.some((r) => r.path.startsWith('/_sim/')), 'control calls are not logged');
});

test('unknown routes, bad JSON and oversized bodies get Google error JSON', async () => {
  const unknown = await sim.call('GET', '/compute/v1/projects/demo-project/global/urlMaps');
  assert.equal(unknown.status, 404);
  assert.equal((unknown.json['error'] as { code: number }).code, 404);
  const elsewhere = await sim.call('GET', '/nothing/here');
  assert.equal(elsewhere.status, 404);
  const badJson = await sim.call('POST', '/v2/entries:list', '{"resourceNames": [');
  assert.equal(badJson.status, 400);
  assert.deepEqual(Object.keys(badJson.json['error'] as object).sort(), ['code', 'message', 'status']);
  const big = await sim.call('POST', '/v2/entries:list', { filter: 'x'.repeat(100 * 1024) });
  assert.equal(big.status, 413);
  const noProject = await sim.call('GET', '/compute/v1/projects/nope/global/backendServices');
  assert.equal(noProject.status, 404);
  assert.equal((noProject.json['error'] as { errors: { reason: string }[] }).errors[0]?.reason, 'notFound');
});

test('a latency percentile through the real Monitoring client', async () => {
  const metrics = new monitoring.MetricServiceClient(sim.clientOptions);
  const now = Math.floor(Date.now() / 1000) + 1;
  const [p99] = await metrics.listTimeSeries({
    name: `projects/${sim.project}`,
    filter: 'metric.type="loadbalancing.googleapis.com/https/backend_latencies"',
    interval: { startTime: { seconds: now - 600 }, endTime: { seconds: now } },
    aggregation: {
      alignmentPeriod: { seconds: 600 },
      perSeriesAligner: 'ALIGN_PERCENTILE_99',
      crossSeriesReducer: 'REDUCE_MAX',
      groupByFields: ['resource.labels.backend_target_name'],
    },
  });
  assert.equal(p99.length, 1);
  assert.equal(p99[0]?.valueType, 'DOUBLE');
  const value = p99[0]?.points?.[0]?.value?.doubleValue ?? 0;
  assert.ok(value > 0 && value < 30_000, `p99 ${value} ms is a plausible latency`);
});

test('changing an app through the control API restarts it and the health checker notices', async () => {
  const client = new compute.BackendServicesClient(sim.clientOptions);
  const [name] = [...(await states(client)).keys()];
  assert.ok(name);
  const changed = await sim.call('PATCH', `/_sim/projects/${sim.project}/instances/${name}/app`, {
    port: 9091,
  });
  assert.equal(changed.status, 200);
  assert.equal((changed.json['app'] as { port: number }).port, 9091);
  await eventually(async () => (await states(client)).get(name) === 'UNHEALTHY', `${name} to turn UNHEALTHY`);

  await sim.call('PATCH', `/_sim/projects/${sim.project}/instances/${name}/app`, { port: 8080 });
  await eventually(async () => (await states(client)).get(name) === 'HEALTHY', `${name} to recover`);

  const invalid = await sim.call('PATCH', `/_sim/projects/${sim.project}/instances/${name}/app`, {
    port: 'x',
  });
  assert.equal(invalid.status, 400);
  const missing = await sim.call('PATCH', `/_sim/projects/${sim.project}/instances/nope/app`, { port: 1 });
  assert.equal(missing.status, 404);
});

test('loading a scenario replaces the project; a broken scenario is a 400 naming the line', async () => {
  const broken = await sim.call('POST', '/_sim/scenario', {
    yaml: 'name: x\nproject: demo-project\nhealthChecks: [{ name: BAD }]\n',
  });
  assert.equal(broken.status, 400);
  assert.match(String((broken.json['error'] as { message: string }).message), /request body:\d+/);
  const unknown = await sim.call('POST', '/_sim/scenario', { name: 'no-such-scenario' });
  assert.equal(unknown.status, 404);

  const loaded = await sim.call('POST', '/_sim/scenario', { name: 'port-moved' });
  assert.equal(loaded.status, 200, JSON.stringify(loaded.json));
  assert.equal(loaded.json['project'], 'demo-project');
  const client = new compute.BackendServicesClient(sim.clientOptions);
  const health = await states(client);
  assert.ok([...health.values()].every((s) => s === 'UNHEALTHY'));
});
