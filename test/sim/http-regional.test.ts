/**
 * Regional load balancers through the real clients: an internal Application Load Balancer
 * (ilb-wrong-path) read and healed with regionBackendServices, regionHealthChecks, regional operations
 * and subnetworks; its request logs and metrics under the internal ALB's names; and the regional
 * external ALB's names (healthy-topologies).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import monitoring from '@google-cloud/monitoring';
import { startSim } from './http-harness';
import type { Sim } from './http-harness';
import { eventually, requestLines, signatures, untilDone } from './http-ops';

const BASE = 'https://www.googleapis.com/compute/v1/projects/demo-project';
const REGION = 'us-central1';

async function regionalHealth(sim: Sim): Promise<string[]> {
  const [answer] = await new compute.RegionBackendServicesClient(sim.clientOptions).getHealth({
    project: sim.project,
    region: REGION,
    backendService: 'orders-bs',
    resourceGroupReferenceResource: { group: `${BASE}/zones/us-central1-b/instanceGroups/orders-ig` },
  });
  return (answer.healthStatus ?? []).map((s) => `${s.healthState}:${s.port}`);
}

async function seriesOf(sim: Sim, metricType: string) {
  const client = new monitoring.MetricServiceClient(sim.clientOptions);
  const now = Math.floor(Date.now() / 1000) + 1;
  const [series] = await client.listTimeSeries({
    name: `projects/${sim.project}`,
    filter: `metric.type="${metricType}"`,
    interval: { startTime: { seconds: now - 600 }, endTime: { seconds: now } },
  });
  return series;
}

test('ilb-wrong-path: the internal ALB read through the regional clients', async () => {
  const sim = await startSim('ilb-wrong-path');
  try {
    const o = sim.clientOptions;
    const services = new compute.RegionBackendServicesClient(o);
    const [bs] = await services.get({ project: sim.project, region: REGION, backendService: 'orders-bs' });
    assert.equal(bs.region, `${BASE}/regions/${REGION}`);
    assert.equal(bs.selfLink, `${BASE}/regions/${REGION}/backendServices/orders-bs`);
    assert.equal(bs.loadBalancingScheme, 'INTERNAL_MANAGED');
    assert.deepEqual(bs.healthChecks, [`${BASE}/regions/${REGION}/healthChecks/orders-hc`]);
    const [list] = await services.list({ project: sim.project, region: REGION });
    assert.deepEqual(
      list.map((s) => s.name),
      ['orders-bs'],
    );
    // Global and regional collections are apart.
    await assert.rejects(
      new compute.BackendServicesClient(o).get({ project: sim.project, backendService: 'orders-bs' }),
      /not found/i,
    );
    const [globalList] = await new compute.BackendServicesClient(o).list({ project: sim.project });
    assert.equal(globalList.length, 0);
    await assert.rejects(
      services.get({ project: sim.project, region: 'us-east1', backendService: 'orders-bs' }),
      /not found/i,
    );

    const [urlMap] = await new compute.RegionUrlMapsClient(o).get({
      project: sim.project,
      region: REGION,
      urlMap: 'orders-ilb-map',
    });
    assert.equal(urlMap.selfLink, `${BASE}/regions/${REGION}/urlMaps/orders-ilb-map`);
    assert.equal(urlMap.defaultService, bs.selfLink);
    await assert.rejects(
      new compute.UrlMapsClient(o).get({ project: sim.project, urlMap: 'orders-ilb-map' }),
      /not found/i,
    );

    const checks = new compute.RegionHealthChecksClient(o);
    const [hc] = await checks.get({ project: sim.project, region: REGION, healthCheck: 'orders-hc' });
    assert.equal(hc.region, `${BASE}/regions/${REGION}`);
    assert.equal(hc.httpHealthCheck?.requestPath, '/health');
    const [hcs] = await checks.list({ project: sim.project, region: REGION });
    assert.deepEqual(
      hcs.map((h) => h.name),
      ['orders-hc'],
    );
    await assert.rejects(
      new compute.HealthChecksClient(o).get({ project: sim.project, healthCheck: 'orders-hc' }),
      /not found/i,
    );

    const [subnets] = await new compute.SubnetworksClient(o).list({ project: sim.project, region: REGION });
    assert.deepEqual(
      subnets.map((s) => [s.name, s.purpose, s.role, s.ipCidrRange]),
      [['proxy-only-us-central1', 'REGIONAL_MANAGED_PROXY', 'ACTIVE', '10.129.0.0/23']],
    );
  } finally {
    await sim.close();
  }
});

test('ilb-wrong-path: UNHEALTHY, failed_to_pick_backend in the internal ALB log, healed by regionHealthChecks.patch', async () => {
  const sim = await startSim('ilb-wrong-path');
  try {
    assert.deepEqual(await regionalHealth(sim), ['UNHEALTHY:8080', 'UNHEALTHY:8080']);
    const lines = await requestLines(sim, 'resource.type="internal_http_lb_rule"');
    assert.deepEqual(signatures(lines), ['502 failed_to_pick_backend']);
    const line = lines[0];
    assert.equal(line?.logName, 'projects/demo-project/logs/loadbalancing.googleapis.com%2Frequests');
    assert.deepEqual(line?.labels, {
      project_id: 'demo-project',
      network_name: 'default',
      region: REGION,
      forwarding_rule_name: 'orders-ilb-fr',
      target_proxy_name: 'orders-ilb-proxy',
      url_map_name: 'orders-ilb-map',
      matched_url_path_rule: 'UNMATCHED',
      backend_target_name: 'orders-bs',
      backend_target_type: 'BACKEND_SERVICE',
      backend_name: 'UNKNOWN',
      backend_type: 'INVALID_BACKEND',
      backend_scope: 'UNKNOWN',
      backend_scope_type: 'UNKNOWN',
    });
    const series = await seriesOf(sim, 'loadbalancing.googleapis.com/https/internal/request_count');
    assert.ok(series.length > 0);
    for (const s of series) {
      assert.equal(s.resource?.type, 'internal_http_lb_rule');
      assert.equal(s.metric?.labels?.['response_code'], '502');
      assert.equal(s.resource?.labels?.['backend_target_name'], 'orders-bs');
    }

    const checks = new compute.RegionHealthChecksClient(sim.clientOptions);
    const op = await untilDone(
      sim,
      await checks.patch({
        project: sim.project,
        region: REGION,
        healthCheck: 'orders-hc',
        healthCheckResource: { httpHealthCheck: { requestPath: '/healthz' } },
      }),
    );
    assert.equal(op.region, `${BASE}/regions/${REGION}`);
    assert.equal(op.targetLink, `${BASE}/regions/${REGION}/healthChecks/orders-hc`);
    await eventually('HEALTHY', async () =>
      (await regionalHealth(sim)).every((s) => s === 'HEALTHY:8080') ? true : undefined,
    );
    const since = new Date().toISOString();
    const after = await eventually('requests after the fix', async () => {
      const found = await requestLines(sim, `resource.type="internal_http_lb_rule" AND timestamp>"${since}"`);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(signatures(after), ['200 response_sent_by_backend']);
  } finally {
    await sim.close();
  }
});

test('regional backend service patch: regional operation, fingerprint, regional health checks only', async () => {
  const sim = await startSim('ilb-wrong-path');
  try {
    const services = new compute.RegionBackendServicesClient(sim.clientOptions);
    const [bs] = await services.get({ project: sim.project, region: REGION, backendService: 'orders-bs' });
    const op = await untilDone(
      sim,
      await services.patch({
        project: sim.project,
        region: REGION,
        backendService: 'orders-bs',
        backendServiceResource: { timeoutSec: 45, fingerprint: bs.fingerprint },
      }),
    );
    assert.equal(op.region, `${BASE}/regions/${REGION}`);
    const [patched] = await services.get({
      project: sim.project,
      region: REGION,
      backendService: 'orders-bs',
    });
    assert.equal(patched.timeoutSec, 45);
    assert.notEqual(patched.fingerprint, bs.fingerprint);
    await assert.rejects(
      services.patch({
        project: sim.project,
        region: REGION,
        backendService: 'orders-bs',
        backendServiceResource: { timeoutSec: 50, fingerprint: bs.fingerprint },
      }),
      /fingerprint/i,
    );
    await assert.rejects(
      services.patch({
        project: sim.project,
        region: REGION,
        backendService: 'orders-bs',
        backendServiceResource: { healthChecks: [`${BASE}/global/healthChecks/orders-hc`] },
      }),
      /health check in region us-central1/,
    );
  } finally {
    await sim.close();
  }
});

test('healthy-topologies: the regional external ALB logs and counts under its own names', async () => {
  const sim = await startSim('healthy-topologies');
  try {
    const lines = await requestLines(sim, 'resource.type="http_external_regional_lb_rule"');
    assert.deepEqual(signatures(lines), ['200 response_sent_by_backend']);
    assert.equal(
      lines[0]?.logName,
      'projects/demo-project/logs/loadbalancing.googleapis.com%2Fexternal_regional_requests',
    );
    assert.equal(lines[0]?.labels['region'], 'us-east1');
    assert.equal(lines[0]?.labels['backend_name'], 'east-ig');
    assert.equal(lines[0]?.labels['backend_scope'], 'us-east1-b');
    const series = await seriesOf(sim, 'loadbalancing.googleapis.com/https/external/regional/request_count');
    assert.ok(series.length > 0);
    for (const s of series) {
      assert.equal(s.resource?.type, 'http_external_regional_lb_rule');
      assert.equal(s.resource?.labels?.['backend_target_name'], 'east-bs');
      assert.equal(s.metric?.labels?.['client_country'], 'United States');
    }
    const latencies = await seriesOf(
      sim,
      'loadbalancing.googleapis.com/https/external/regional/backend_latencies',
    );
    assert.ok(latencies.length > 0);
  } finally {
    await sim.close();
  }
});
