/**
 * The topology reader (activities/topology.ts) through the real compute client: every backend
 * service, group member and instance of the project, a page at a time, and cut at its bounds with the
 * cut named, so that an impact computed from it says it may be larger.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopology, TOPOLOGY_BOUNDS } from '../../activities/topology';
import { stepImpact } from '../../core/impact';
import { createSiblingActivities } from '../../activities/siblings';
import { eventually, startSim } from '../helpers/sim';

const NET = 'https://www.googleapis.com/compute/v1/projects/demo-project/global/networks/default';
const ZONE = 'us-central1-a';

test('shared-resources: who uses the shared health check, the groups, the instances; the same a page of one at a time', async () => {
  const sim = await startSim('shared-resources');
  try {
    const topology = await readTopology(sim.clients, { project: sim.project });
    assert.deepEqual(topology, {
      backendServices: [
        {
          name: 'api-bs',
          portName: 'http',
          healthCheck: 'shared-hc',
          groups: [{ name: 'api-ig', zone: ZONE }],
        },
        {
          name: 'web-bs',
          portName: 'http',
          healthCheck: 'shared-hc',
          groups: [{ name: 'web-ig', zone: ZONE }],
        },
      ],
      instanceGroups: [
        { name: 'api-ig', zone: ZONE, instances: ['api-ig-1'] },
        { name: 'web-ig', zone: ZONE, instances: ['web-ig-1', 'web-ig-2'] },
      ],
      instances: [
        { name: 'api-ig-1', zone: ZONE, network: NET, tags: ['api'], serviceAccounts: [] },
        { name: 'web-ig-1', zone: ZONE, network: NET, tags: ['web'], serviceAccounts: [] },
        { name: 'web-ig-2', zone: ZONE, network: NET, tags: ['web'], serviceAccounts: [] },
      ],
      truncated: [],
    });
    const paged = await readTopology(
      sim.clients,
      { project: sim.project },
      { ...TOPOLOGY_BOUNDS, pageSize: 1 },
    );
    assert.deepEqual(paged, topology, 'every page followed');
  } finally {
    await sim.stop();
  }
});

test('a project larger than the bounds: the lists stop there, the cut is named, and the impact is incomplete', async () => {
  const sim = await startSim('shared-resources');
  try {
    const topology = await readTopology(
      sim.clients,
      { project: sim.project },
      { backendServices: 1, instances: 2, groupsListed: 0, pageSize: 1 },
    );
    assert.equal(topology.backendServices.length, 1);
    assert.equal(topology.instances.length, 2);
    assert.deepEqual(topology.instanceGroups, []);
    assert.deepEqual(topology.truncated, [
      'backendServices (first 1)',
      'instance group members (first 0 of 1 groups)',
      'instances (first 2)',
    ]);
    const patch = { kind: 'patchHealthCheck', healthCheck: 'shared-hc', type: 'HTTP', port: 9090 } as const;
    const impact = stepImpact(
      { apply: patch, inverse: patch },
      { backendService: 'web-bs' },
      { ok: true, value: topology },
      [],
    );
    assert.equal(impact.complete, false);
    assert.match(impact.via, /read only backendServices \(first 1\)/);
  } finally {
    await sim.stop();
  }
});

test('every scope: regional backend services are read with their region and their health check’s, and watched through the regional API', async () => {
  const sim = await startSim('healthy-topologies');
  try {
    const topology = await readTopology(sim.clients, { project: sim.project });
    const scoped = (name: string) => {
      const b = topology.backendServices.find((x) => x.name === name);
      return b && { region: b.region, healthCheck: b.healthCheck, healthCheckRegion: b.healthCheckRegion };
    };
    assert.deepEqual(scoped('web-bs'), {
      region: undefined,
      healthCheck: 'web-hc',
      healthCheckRegion: undefined,
    });
    assert.deepEqual(scoped('orders-bs'), {
      region: 'us-central1',
      healthCheck: 'orders-hc',
      healthCheckRegion: 'us-central1',
    });
    assert.deepEqual(scoped('east-bs'), {
      region: 'us-east1',
      healthCheck: 'east-hc',
      healthCheckRegion: 'us-east1',
    });
    // A patch to the regional orders-hc reaches no global backend service.
    const patch = {
      kind: 'patchHealthCheck',
      healthCheck: 'orders-hc',
      region: 'us-central1',
      type: 'HTTP',
      port: 9090,
    } as const;
    const impact = stepImpact(
      { apply: patch, inverse: patch },
      { backendService: 'web-bs' },
      { ok: true, value: topology },
      [],
    );
    assert.deepEqual(impact.backendServices, ['us-central1/orders-bs']);

    // The sibling activities read a regional sibling through regionBackendServices/regionHealthChecks.
    const siblings = createSiblingActivities(sim.clients);
    const before = await eventually('east-bs HEALTHY', async () => {
      const h = await siblings.siblingHealth({ project: sim.project, backendServices: ['us-east1/east-bs'] });
      return h[0]?.healthy === 1 ? h : undefined;
    });
    assert.deepEqual(before, [{ backendService: 'us-east1/east-bs', healthy: 1, total: 1 }]);
    const watched = await siblings.watchSiblings({
      project: sim.project,
      before,
      changedAt: new Date(0).toISOString(),
    });
    assert.deepEqual(watched.worse, []);
    assert.ok(watched.polls >= 1);
  } finally {
    await sim.stop();
  }
});
