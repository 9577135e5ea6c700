/**
 * The topology reader (activities/topology.ts) through the real compute client: every backend
 * service, group member and instance of the project, a page at a time, and cut at its bounds with the
 * cut named, so that an impact computed from it says it may be larger.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopology, TOPOLOGY_BOUNDS } from '../../activities/topology';
import { stepImpact } from '../../core/impact';
import { startSim } from '../helpers/sim';

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
    const impact = stepImpact({ apply: patch, inverse: patch }, 'web-bs', { ok: true, value: topology }, []);
    assert.equal(impact.complete, false);
    assert.match(impact.via, /read only backendServices \(first 1\)/);
  } finally {
    await sim.stop();
  }
});
