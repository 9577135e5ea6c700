import { test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import type { protos } from '@google-cloud/compute';
import type { Sim } from './http-harness';
import { startSim } from './http-harness';

type Operation = protos.google.cloud.compute.v1.IOperation;
const ZONE = 'us-central1-a';
const BASE = 'https://www.googleapis.com/compute/v1/projects/demo-project';

async function untilDone(sim: Sim, result: unknown): Promise<Operation> {
  const ops = new compute.GlobalOperationsClient(sim.clientOptions);
  const zoneOps = new compute.ZoneOperationsClient(sim.clientOptions);
  let op = (result as [{ latestResponse: Operation }])[0].latestResponse;
  const name = op.name ?? '';
  for (let i = 0; op.status !== 'DONE'; i++) {
    assert.ok(i < 50, 'operation never finished');
    const zone = op.zone?.split('/').pop();
    [op] = zone
      ? await zoneOps.wait({ project: sim.project, zone, operation: name })
      : await ops.wait({ project: sim.project, operation: name });
  }
  return op;
}

async function healthStates(
  client: InstanceType<typeof compute.BackendServicesClient>,
  project: string,
): Promise<string[]> {
  const [health] = await client.getHealth({
    project,
    backendService: 'web-bs',
    resourceGroupReferenceResource: { group: `${BASE}/zones/${ZONE}/instanceGroups/web-ig` },
  });
  return (health.healthStatus ?? []).map((s) => String(s.healthState));
}

test('port-moved: fixing the health check, named port and firewall through the API heals the backends', async () => {
  const sim = await startSim('port-moved');
  try {
    const o = sim.clientOptions;
    const bs = new compute.BackendServicesClient(o);
    assert.deepEqual(await healthStates(bs, sim.project), ['UNHEALTHY', 'UNHEALTHY', 'UNHEALTHY']);

    const hcs = new compute.HealthChecksClient(o);
    const igs = new compute.InstanceGroupsClient(o);
    const fws = new compute.FirewallsClient(o);
    const [ig] = await igs.get({ project: sim.project, zone: ZONE, instanceGroup: 'web-ig' });
    const ops = await Promise.all([
      hcs.patch({
        project: sim.project,
        healthCheck: 'web-hc',
        healthCheckResource: { httpHealthCheck: { port: 9090 } },
      }),
      igs.setNamedPorts({
        project: sim.project,
        zone: ZONE,
        instanceGroup: 'web-ig',
        instanceGroupsSetNamedPortsRequestResource: {
          namedPorts: [{ name: 'http', port: 9090 }],
          fingerprint: ig.fingerprint,
        },
      }),
      fws.patch({
        project: sim.project,
        firewall: 'allow-lb-health-checks',
        firewallResource: { allowed: [{ IPProtocol: 'tcp', ports: ['9090'] }] },
      }),
    ]);
    for (const op of ops) assert.ok(!(await untilDone(sim, op)).error);

    const deadline = Date.now() + 20_000;
    let states = await healthStates(bs, sim.project);
    while (states.some((s) => s !== 'HEALTHY') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      states = await healthStates(bs, sim.project);
    }
    assert.deepEqual(states, ['HEALTHY', 'HEALTHY', 'HEALTHY']);
    const [health] = await bs.getHealth({
      project: sim.project,
      backendService: 'web-bs',
      resourceGroupReferenceResource: { group: `zones/${ZONE}/instanceGroups/web-ig` },
    });
    assert.ok(
      (health.healthStatus ?? []).every((s) => s.port === 9090),
      'getHealth reports the new named port',
    );
  } finally {
    await sim.close();
  }
});

test('neg-empty: NEGs in zonal, regional and aggregated lists; a serverless NEG has no health status', async () => {
  const sim = await startSim('neg-empty');
  try {
    const o = sim.clientOptions;
    const negs = new compute.NetworkEndpointGroupsClient(o);
    const regional = new compute.RegionNetworkEndpointGroupsClient(o);
    const aggregated: [string, protos.google.cloud.compute.v1.INetworkEndpointGroupsScopedList][] = [];
    for await (const entry of negs.aggregatedListAsync({ project: sim.project })) aggregated.push(entry);
    // Every scope is listed; those without NEGs carry a NO_RESULTS_ON_PAGE warning, as on GCP.
    const withNegs = aggregated.filter(([, list]) => (list.networkEndpointGroups ?? []).length > 0);
    assert.deepEqual(
      withNegs.map(([scope, list]) => [scope, list.networkEndpointGroups?.map((n) => n.name)]),
      [['regions/us-central1', ['api-neg']]],
    );
    assert.ok(
      aggregated.some(
        ([scope, list]) => scope === 'zones/us-central1-a' && list.warning?.code === 'NO_RESULTS_ON_PAGE',
      ),
    );
    const neg = withNegs[0]?.[1].networkEndpointGroups?.[0];
    assert.equal(neg?.networkEndpointType, 'SERVERLESS');
    assert.equal(neg?.size, 0);
    assert.equal(neg?.cloudRun?.service, 'api-v2');
    assert.equal(neg?.region, `${BASE}/regions/us-central1`);

    const [inRegion] = await regional.list({ project: sim.project, region: 'us-central1' });
    assert.deepEqual(
      inRegion.map((n) => n.name),
      ['api-neg'],
    );
    const [inZone] = await negs.list({ project: sim.project, zone: ZONE });
    assert.equal(inZone.length, 0);

    const bs = new compute.BackendServicesClient(o);
    const [api] = await bs.get({ project: sim.project, backendService: 'api-bs' });
    const [health] = await bs.getHealth({
      project: sim.project,
      backendService: 'api-bs',
      resourceGroupReferenceResource: { group: api.backends?.[0]?.group ?? '' },
    });
    assert.equal(health.kind, 'compute#backendServiceGroupHealth');
    assert.deepEqual(health.healthStatus ?? [], []);
  } finally {
    await sim.close();
  }
});

test('an operation fault: the mutation is accepted, its operation ends DONE with the error and changes nothing', async () => {
  const sim = await startSim('healthy');
  try {
    const added = await sim.call('POST', '/_sim/faults', {
      status: 503,
      mode: 'operation',
      match: { service: 'compute', method: 'PATCH', path: '/backendServices/' },
    });
    assert.equal(added.status, 200);
    const bs = new compute.BackendServicesClient(sim.clientOptions);
    const fingerprint = async () =>
      (await bs.get({ project: sim.project, backendService: 'web-bs' }))[0].fingerprint;
    const op = await untilDone(
      sim,
      await bs.patch({
        project: sim.project,
        backendService: 'web-bs',
        backendServiceResource: { timeoutSec: 77, fingerprint: await fingerprint() },
      }),
    );
    assert.equal(op.status, 'DONE');
    assert.equal(op.httpErrorStatusCode, 503);
    assert.ok(op.httpErrorMessage);
    assert.equal(op.error?.errors?.length, 1);
    assert.ok(op.error?.errors?.[0]?.message);
    const [web] = await bs.get({ project: sim.project, backendService: 'web-bs' });
    assert.equal(web.timeoutSec, 30);

    // The fault fired once; the next patch applies.
    await untilDone(
      sim,
      await bs.patch({
        project: sim.project,
        backendService: 'web-bs',
        backendServiceResource: { timeoutSec: 77, fingerprint: await fingerprint() },
      }),
    );
    const [patched] = await bs.get({ project: sim.project, backendService: 'web-bs' });
    assert.equal(patched.timeoutSec, 77);
  } finally {
    await sim.close();
  }
});
