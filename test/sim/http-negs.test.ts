/**
 * Network endpoint groups through the real clients: a zonal GCE_VM_IP_PORT NEG health-checked per
 * endpoint with the firewall applied on the endpoint port (neg-zonal), a healthy serverless NEG of size
 * 0 (neg-serverless), one naming a missing Cloud Run service (neg-empty), and hybrid and internet NEGs
 * that are recognised but not simulated inside (neg-hybrid, neg-internet).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import { startSim } from './http-harness';
import type { Sim } from './http-harness';
import { eventually, requestLines, signatures, untilDone } from './http-ops';

const BASE = 'https://www.googleapis.com/compute/v1/projects/demo-project';

async function groupHealth(sim: Sim, backendService: string, group: string) {
  const [answer] = await new compute.BackendServicesClient(sim.clientOptions).getHealth({
    project: sim.project,
    backendService,
    resourceGroupReferenceResource: { group },
  });
  return answer.healthStatus ?? [];
}

test('neg-zonal: per-endpoint health on the endpoint port; the firewall rule fixed, the endpoints turn HEALTHY', async () => {
  const sim = await startSim('neg-zonal');
  try {
    const o = sim.clientOptions;
    const negs = new compute.NetworkEndpointGroupsClient(o);
    const [neg] = await negs.get({
      project: sim.project,
      zone: 'us-central1-a',
      networkEndpointGroup: 'shop-neg',
    });
    assert.equal(neg.networkEndpointType, 'GCE_VM_IP_PORT');
    assert.equal(neg.size, 2);
    const group = `${BASE}/zones/us-central1-a/networkEndpointGroups/shop-neg`;
    const before = await groupHealth(sim, 'shop-bs', group);
    assert.deepEqual(
      before.map((s) => [s.healthState, s.port, s.instance?.split('/').pop()]),
      [
        ['UNHEALTHY', 8080, 'gke-pool-7c2v'],
        ['UNHEALTHY', 8080, 'gke-pool-qm4s'],
      ],
    );
    const [endpoints] = await negs.listNetworkEndpoints({
      project: sim.project,
      zone: 'us-central1-a',
      networkEndpointGroup: 'shop-neg',
      networkEndpointGroupsListEndpointsRequestResource: { healthStatus: 'SHOW' },
    });
    assert.deepEqual(
      endpoints.map((e) => [
        e.networkEndpoint?.port,
        e.healths?.map((h) => [h.healthState, h.backendService?.backendService?.split('/').pop()]),
      ]),
      [
        [8080, [['UNHEALTHY', 'shop-bs']]],
        [8080, [['UNHEALTHY', 'shop-bs']]],
      ],
    );
    assert.deepEqual(signatures(await requestLines(sim, 'resource.type="http_load_balancer"')), [
      '502 failed_to_pick_backend',
    ]);

    const firewalls = new compute.FirewallsClient(o);
    await untilDone(
      sim,
      await firewalls.patch({
        project: sim.project,
        firewall: 'gke-allow-health-check',
        firewallResource: { allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }] },
      }),
    );
    await eventually('endpoints HEALTHY', async () =>
      (await groupHealth(sim, 'shop-bs', group)).every((s) => s.healthState === 'HEALTHY') ? true : undefined,
    );
    const since = new Date().toISOString();
    const after = await eventually('requests after the fix', async () => {
      const found = await requestLines(sim, `resource.type="http_load_balancer" AND timestamp>"${since}"`);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(signatures(after), ['200 response_sent_by_backend']);
    assert.equal(after[0]?.labels['backend_service_name'], 'shop-bs');
  } finally {
    await sim.close();
  }
});

test('neg-serverless: size 0 like every serverless NEG, no health status, and it serves', async () => {
  const sim = await startSim('neg-serverless');
  try {
    const [neg] = await new compute.RegionNetworkEndpointGroupsClient(sim.clientOptions).get({
      project: sim.project,
      region: 'us-central1',
      networkEndpointGroup: 'api-neg',
    });
    assert.equal(neg.size, 0);
    assert.equal(neg.cloudRun?.service, 'api');
    assert.deepEqual(await groupHealth(sim, 'api-bs', neg.selfLink ?? ''), []);
    assert.deepEqual(signatures(await requestLines(sim, 'resource.type="http_load_balancer"')), [
      '200 response_sent_by_backend',
    ]);
  } finally {
    await sim.close();
  }
});

test('neg-empty: a serverless NEG naming a missing Cloud Run service answers serverless_neg_routing_failed', async () => {
  const sim = await startSim('neg-empty');
  try {
    const lines = await requestLines(
      sim,
      'resource.type="http_load_balancer" AND resource.labels.backend_service_name="api-bs"',
    );
    assert.deepEqual(signatures(lines), ['502 serverless_neg_routing_failed']);
  } finally {
    await sim.close();
  }
});

test('neg-hybrid: endpoints outside Google Cloud, UNHEALTHY while unreachable, failed_to_pick_backend', async () => {
  const sim = await startSim('neg-hybrid');
  try {
    const negs = new compute.NetworkEndpointGroupsClient(sim.clientOptions);
    const [neg] = await negs.get({
      project: sim.project,
      zone: 'us-central1-a',
      networkEndpointGroup: 'onprem-neg',
    });
    assert.equal(neg.networkEndpointType, 'NON_GCP_PRIVATE_IP_PORT');
    assert.equal(neg.size, 2);
    const health = await groupHealth(sim, 'legacy-bs', neg.selfLink ?? '');
    assert.deepEqual(
      health.map((s) => [s.healthState, s.ipAddress, s.port, s.instance ?? null]),
      [
        ['UNHEALTHY', '10.50.0.11', 8080, null],
        ['UNHEALTHY', '10.50.0.12', 8080, null],
      ],
    );
    const [endpoints] = await negs.listNetworkEndpoints({
      project: sim.project,
      zone: 'us-central1-a',
      networkEndpointGroup: 'onprem-neg',
      networkEndpointGroupsListEndpointsRequestResource: { healthStatus: 'SHOW' },
    });
    assert.deepEqual(
      endpoints.map((e) => [e.networkEndpoint?.ipAddress, e.healths?.map((h) => h.healthState)]),
      [
        ['10.50.0.11', ['UNHEALTHY']],
        ['10.50.0.12', ['UNHEALTHY']],
      ],
    );
    assert.deepEqual(signatures(await requestLines(sim, 'resource.type="http_load_balancer"')), [
      '502 failed_to_pick_backend',
    ]);
  } finally {
    await sim.close();
  }
});

test('neg-internet: a global NEG in global and aggregated lists, not health-checked, failed_to_connect_to_backend', async () => {
  const sim = await startSim('neg-internet');
  try {
    const o = sim.clientOptions;
    const global = new compute.GlobalNetworkEndpointGroupsClient(o);
    const [neg] = await global.get({ project: sim.project, networkEndpointGroup: 'origin-neg' });
    assert.equal(neg.networkEndpointType, 'INTERNET_FQDN_PORT');
    assert.equal(neg.selfLink, `${BASE}/global/networkEndpointGroups/origin-neg`);
    assert.equal(neg.zone, undefined);
    assert.equal(neg.region, undefined);
    const [listed] = await global.list({ project: sim.project });
    assert.deepEqual(
      listed.map((n) => n.name),
      ['origin-neg'],
    );
    const aggregated: string[] = [];
    for await (const [scope, list] of new compute.NetworkEndpointGroupsClient(o).aggregatedListAsync({
      project: sim.project,
    }))
      for (const n of list.networkEndpointGroups ?? []) aggregated.push(`${scope}/${n.name}`);
    assert.deepEqual(aggregated, ['global/origin-neg']);
    const [endpoints] = await global.listNetworkEndpoints({
      project: sim.project,
      networkEndpointGroup: 'origin-neg',
    });
    assert.deepEqual(
      endpoints.map((e) => [e.networkEndpoint?.fqdn, e.networkEndpoint?.port, e.healths ?? []]),
      [['origin.example.com', 443, []]],
    );
    assert.deepEqual(await groupHealth(sim, 'origin-bs', neg.selfLink ?? ''), []);
    assert.deepEqual(signatures(await requestLines(sim, 'resource.type="http_load_balancer"')), [
      '502 failed_to_connect_to_backend',
    ]);
  } finally {
    await sim.close();
  }
});
