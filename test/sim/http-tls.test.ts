/**
 * An HTTPS backend with a wrong health-check path (https-wrong-path) through the real clients: the
 * HTTPS probe reaches the TLS app (its self-signed certificate is not checked, as Google's probers
 * check none) and gets 404; fixing the path heals it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import { startSim } from './http-harness';
import type { Sim } from './http-harness';
import { eventually, requestLines, signatures, untilDone } from './http-ops';

const GROUP =
  'https://www.googleapis.com/compute/v1/projects/demo-project/zones/us-central1-a/instanceGroups/secure-ig';

async function states(sim: Sim): Promise<string[]> {
  const [answer] = await new compute.BackendServicesClient(sim.clientOptions).getHealth({
    project: sim.project,
    backendService: 'secure-bs',
    resourceGroupReferenceResource: { group: GROUP },
  });
  return (answer.healthStatus ?? []).map((s) => `${s.healthState}:${s.port}`);
}

test('https-wrong-path: UNHEALTHY on a 404 over TLS; the path fixed, HEALTHY and 200s', async () => {
  const sim = await startSim('https-wrong-path');
  try {
    const checks = new compute.HealthChecksClient(sim.clientOptions);
    const [hc] = await checks.get({ project: sim.project, healthCheck: 'secure-hc' });
    assert.equal(hc.type, 'HTTPS');
    assert.deepEqual([hc.httpsHealthCheck?.port, hc.httpsHealthCheck?.requestPath], [8443, '/health']);
    const [bs] = await new compute.BackendServicesClient(sim.clientOptions).get({
      project: sim.project,
      backendService: 'secure-bs',
    });
    assert.equal(bs.protocol, 'HTTPS');
    assert.deepEqual(await states(sim), ['UNHEALTHY:8443', 'UNHEALTHY:8443']);
    assert.deepEqual(signatures(await requestLines(sim, 'resource.type="http_load_balancer"')), [
      '502 failed_to_pick_backend',
    ]);

    await untilDone(
      sim,
      await checks.patch({
        project: sim.project,
        healthCheck: 'secure-hc',
        healthCheckResource: { httpsHealthCheck: { requestPath: '/healthz' } },
      }),
    );
    await eventually('HEALTHY', async () =>
      (await states(sim)).every((s) => s === 'HEALTHY:8443') ? true : undefined,
    );
    const since = new Date().toISOString();
    const after = await eventually('requests after the fix', async () => {
      const found = await requestLines(sim, `resource.type="http_load_balancer" AND timestamp>"${since}"`);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(signatures(after), ['200 response_sent_by_backend']);
  } finally {
    await sim.close();
  }
});
