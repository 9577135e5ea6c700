/**
 * The named-port fault as Google Cloud shows it, through the real compute and logging clients: a
 * fixed-port health check passes, so getHealth says HEALTHY, while the load balancer sends requests
 * to the wrong named port and they fail with failed_to_connect_to_backend. Zonal (named-port-wrong)
 * and regional managed instance group (regional-mig) forms; setNamedPorts heals both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import { startSim } from './http-harness';
import type { Sim } from './http-harness';
import { eventually, requestLines, signatures, untilDone } from './http-ops';

const BASE = 'https://www.googleapis.com/compute/v1/projects/demo-project';

async function health(sim: Sim, group: string) {
  const [answer] = await new compute.BackendServicesClient(sim.clientOptions).getHealth({
    project: sim.project,
    backendService: 'web-bs',
    resourceGroupReferenceResource: { group },
  });
  return (answer.healthStatus ?? []).map((s) => ({ state: String(s.healthState), port: Number(s.port) }));
}

/** Request outcomes logged after `since`. */
async function linesAfter(sim: Sim, since: string) {
  return eventually('requests logged after the change', async () => {
    const lines = await requestLines(sim, `resource.type="http_load_balancer" AND timestamp>"${since}"`);
    return lines.length > 0 ? lines : undefined;
  });
}

test('named-port-wrong: HEALTHY on the fixed port, failed_to_connect_to_backend until setNamedPorts', async () => {
  const sim = await startSim('named-port-wrong');
  try {
    const group = `${BASE}/zones/us-central1-a/instanceGroups/web-ig`;
    assert.deepEqual(await health(sim, group), [
      { state: 'HEALTHY', port: 8081 },
      { state: 'HEALTHY', port: 8081 },
      { state: 'HEALTHY', port: 8081 },
    ]);
    assert.deepEqual(signatures(await requestLines(sim, 'resource.type="http_load_balancer"')), [
      '502 failed_to_connect_to_backend',
    ]);

    const groups = new compute.InstanceGroupsClient(sim.clientOptions);
    const [ig] = await groups.get({ project: sim.project, zone: 'us-central1-a', instanceGroup: 'web-ig' });
    await untilDone(
      sim,
      await groups.setNamedPorts({
        project: sim.project,
        zone: 'us-central1-a',
        instanceGroup: 'web-ig',
        instanceGroupsSetNamedPortsRequestResource: {
          namedPorts: [{ name: 'http', port: 8080 }],
          fingerprint: ig.fingerprint,
        },
      }),
    );
    const since = new Date().toISOString();
    assert.deepEqual(signatures(await linesAfter(sim, since)), ['200 response_sent_by_backend']);
    assert.ok((await health(sim, group)).every((s) => s.state === 'HEALTHY' && s.port === 8080));
  } finally {
    await sim.close();
  }
});

test('regional-mig: the regional MIG and its group read through the regional clients', async () => {
  const sim = await startSim('regional-mig');
  try {
    const o = sim.clientOptions;
    const [igm] = await new compute.RegionInstanceGroupManagersClient(o).get({
      project: sim.project,
      region: 'us-central1',
      instanceGroupManager: 'web-rmig',
    });
    assert.equal(igm.region, `${BASE}/regions/us-central1`);
    assert.equal(igm.zone, undefined);
    assert.equal(igm.instanceGroup, `${BASE}/regions/us-central1/instanceGroups/web-rmig`);
    assert.deepEqual(
      igm.distributionPolicy?.zones?.map((z) => z.zone?.split('/').pop()),
      ['us-central1-a', 'us-central1-b', 'us-central1-c'],
    );
    const [managers] = await new compute.RegionInstanceGroupManagersClient(o).list({
      project: sim.project,
      region: 'us-central1',
    });
    assert.deepEqual(
      managers.map((m) => m.name),
      ['web-rmig'],
    );

    const groups = new compute.RegionInstanceGroupsClient(o);
    const [ig] = await groups.get({ project: sim.project, region: 'us-central1', instanceGroup: 'web-rmig' });
    assert.equal(ig.selfLink, igm.instanceGroup);
    assert.equal(ig.size, 3);
    assert.deepEqual(
      ig.namedPorts?.map((p) => [p.name, p.port]),
      [['http', 80]],
    );
    const [listed] = await groups.list({ project: sim.project, region: 'us-central1' });
    assert.deepEqual(
      listed.map((g) => g.name),
      ['web-rmig'],
    );
    const [members] = await groups.listInstances({
      project: sim.project,
      region: 'us-central1',
      instanceGroup: 'web-rmig',
      regionInstanceGroupsListInstancesRequestResource: { instanceState: 'RUNNING', portName: 'http' },
    });
    assert.deepEqual(
      members.map((m) => [m.instance?.split('/zones/')[1]?.split('/')[0], m.namedPorts?.map((p) => p.port)]),
      [
        ['us-central1-a', [80]],
        ['us-central1-b', [80]],
        ['us-central1-c', [80]],
      ],
    );
    // The zonal collection does not know a regional group.
    await assert.rejects(
      new compute.InstanceGroupsClient(o).get({
        project: sim.project,
        zone: 'us-central1-a',
        instanceGroup: 'web-rmig',
      }),
      /not found/i,
    );
  } finally {
    await sim.close();
  }
});

test('regional-mig: HEALTHY, failed_to_connect_to_backend on named port 80, healed by regionInstanceGroups.setNamedPorts', async () => {
  const sim = await startSim('regional-mig');
  try {
    const group = `${BASE}/regions/us-central1/instanceGroups/web-rmig`;
    assert.deepEqual(
      (await health(sim, group)).map((s) => `${s.state}:${s.port}`),
      ['HEALTHY:80', 'HEALTHY:80', 'HEALTHY:80'],
    );
    const lines = await requestLines(sim, 'resource.type="http_load_balancer"');
    assert.deepEqual(signatures(lines), ['502 failed_to_connect_to_backend']);

    const groups = new compute.RegionInstanceGroupsClient(sim.clientOptions);
    const [ig] = await groups.get({ project: sim.project, region: 'us-central1', instanceGroup: 'web-rmig' });
    // A stale fingerprint is refused before anything changes.
    await assert.rejects(
      groups.setNamedPorts({
        project: sim.project,
        region: 'us-central1',
        instanceGroup: 'web-rmig',
        regionInstanceGroupsSetNamedPortsRequestResource: {
          namedPorts: [{ name: 'http', port: 8080 }],
          fingerprint: 'c3RhbGUtZnA=',
        },
      }),
      /fingerprint/i,
    );
    const op = await untilDone(
      sim,
      await groups.setNamedPorts({
        project: sim.project,
        region: 'us-central1',
        instanceGroup: 'web-rmig',
        regionInstanceGroupsSetNamedPortsRequestResource: {
          namedPorts: [{ name: 'http', port: 8080 }],
          fingerprint: ig.fingerprint,
        },
      }),
    );
    assert.equal(op.region, `${BASE}/regions/us-central1`);
    assert.equal(op.operationType, 'setNamedPorts');
    assert.equal(op.targetLink, group);
    const since = new Date().toISOString();
    assert.deepEqual(signatures(await linesAfter(sim, since)), ['200 response_sent_by_backend']);
    assert.deepEqual(
      (await health(sim, group)).map((s) => `${s.state}:${s.port}`),
      ['HEALTHY:8080', 'HEALTHY:8080', 'HEALTHY:8080'],
    );
  } finally {
    await sim.close();
  }
});
