/**
 * The healthy matrix on the simulator's side: in healthy-topologies every topology it models (a
 * regional MIG behind a global ALB, internal and regional external ALBs, zonal, serverless, hybrid
 * and internet NEGs, HTTPS and HTTP/2 backends) reads HEALTHY in getHealth where it is health-checked
 * and serves 200s, through the real clients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import { startSim } from './http-harness';
import { requestLines, signatures } from './http-ops';

test('healthy-topologies: every backend group HEALTHY or not health-checked, every request answered 200', async () => {
  const sim = await startSim('healthy-topologies');
  try {
    const o = sim.clientOptions;
    const global = new compute.BackendServicesClient(o);
    const regional = new compute.RegionBackendServicesClient(o);
    const [globals] = await global.list({ project: sim.project });
    const regions = ['us-central1', 'us-east1'];
    const regionals = (
      await Promise.all(
        regions.map(async (region) => (await regional.list({ project: sim.project, region }))[0]),
      )
    ).flat();
    const states: Record<string, string[]> = {};
    for (const bs of [...globals, ...regionals]) {
      for (const backend of bs.backends ?? []) {
        const request = {
          project: sim.project,
          backendService: bs.name ?? '',
          resourceGroupReferenceResource: { group: backend.group ?? '' },
        };
        const region = bs.region?.split('/').pop();
        const [health] =
          region === undefined
            ? await global.getHealth(request)
            : await regional.getHealth({ ...request, region });
        states[bs.name ?? ''] = (health.healthStatus ?? []).map((s) => String(s.healthState));
      }
    }
    assert.deepEqual(states, {
      'api-bs': [],
      'east-bs': ['HEALTHY'],
      'h2-bs': ['HEALTHY'],
      'legacy-bs': ['HEALTHY'],
      'orders-bs': ['HEALTHY'],
      'origin-bs': [],
      'secure-bs': ['HEALTHY'],
      'shop-bs': ['HEALTHY'],
      'web-bs': ['HEALTHY', 'HEALTHY', 'HEALTHY'],
    });
    for (const type of ['http_load_balancer', 'internal_http_lb_rule', 'http_external_regional_lb_rule']) {
      const lines = await requestLines(sim, `resource.type="${type}"`, 200);
      assert.ok(lines.length > 0, type);
      assert.deepEqual(signatures(lines), ['200 response_sent_by_backend'], type);
    }
  } finally {
    await sim.close();
  }
});
