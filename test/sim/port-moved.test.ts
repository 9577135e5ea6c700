/**
 * The field guide's worked example through the real compute and logging clients: the app moved from
 * 8080 to 9090. Health follows the health check alone, so moving the health check and the probe
 * firewall rule makes the backends HEALTHY; requests go to the named port, so they succeed only once
 * it moves too (simulator/scenarios/port-moved.yaml).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBackendHealthActivities } from '../../activities/backend-health';
import { operationOf, waitForOperation } from '../../activities/operations';
import { eventually, startSim, type SimHarness } from '../helpers/sim';

let shared: SimHarness;
const ZONE = 'us-central1-a';

before(async () => {
  shared = await startSim('port-moved');
});
after(async () => {
  await shared?.stop();
});

async function health(sim: SimHarness) {
  return createBackendHealthActivities(sim.clients).getBackendHealth({
    project: sim.project,
    backendService: 'web-bs',
  });
}

async function applyAndWait(sim: SimHarness, result: unknown) {
  const op = await waitForOperation(sim.clients, sim.project, operationOf(result));
  assert.equal(op.status, 'DONE');
}

const moveNamedPort = async (sim: SimHarness) =>
  applyAndWait(
    sim,
    await sim.clients.instanceGroups.setNamedPorts({
      project: sim.project,
      zone: ZONE,
      instanceGroup: 'web-ig',
      instanceGroupsSetNamedPortsRequestResource: { namedPorts: [{ name: 'http', port: 9090 }] },
    }),
  );
const moveHealthCheck = async (sim: SimHarness) => {
  const [hc] = await sim.clients.healthChecks.get({ project: sim.project, healthCheck: 'web-hc' });
  await applyAndWait(
    sim,
    await sim.clients.healthChecks.patch({
      project: sim.project,
      healthCheck: 'web-hc',
      healthCheckResource: { httpHealthCheck: { ...hc.httpHealthCheck, port: 9090 } },
    }),
  );
};
const moveFirewall = async (sim: SimHarness) => {
  const [fw] = await sim.clients.firewalls.get({ project: sim.project, firewall: 'allow-lb-health-checks' });
  assert.deepEqual(
    fw.allowed?.map((a) => a.ports),
    [['8080']],
  );
  await applyAndWait(
    sim,
    await sim.clients.firewalls.patch({
      project: sim.project,
      firewall: 'allow-lb-health-checks',
      firewallResource: { allowed: [{ IPProtocol: 'tcp', ports: ['9090'] }] },
    }),
  );
};

test('port-moved: UNHEALTHY with failed_to_pick_backend, HEALTHY only once all three move', async () => {
  const sim = shared;
  const before = await health(sim);
  assert.ok(before.total >= 2);
  assert.equal(before.healthy, 0, 'every backend starts UNHEALTHY');

  const [entries] = await sim.clients.logging.getEntries({
    resourceNames: [`projects/${sim.project}`],
    filter:
      'resource.type="http_load_balancer" AND resource.labels.backend_service_name="web-bs" AND httpRequest.status=502',
    pageSize: 50,
    autoPaginate: false,
  });
  assert.ok(entries.length > 0, 'the LB logs 502s');
  for (const e of entries)
    assert.equal((e.data as { statusDetails?: string }).statusDetails, 'failed_to_pick_backend');

  const hc = (await sim.clients.healthChecks.get({ project: sim.project, healthCheck: 'web-hc' }))[0];
  // Enough probe rounds for a flip to show if it were going to happen.
  const settle = () =>
    new Promise((r) => setTimeout(r, sim.world.scaled(Number(hc.checkIntervalSec ?? 5) * 1000) * 5));

  await moveNamedPort(sim);
  await moveHealthCheck(sim);
  await settle();
  assert.equal(
    (await health(sim)).healthy,
    0,
    'named port + health check without the firewall: still UNHEALTHY',
  );

  const fixedAt = Date.now();
  await moveFirewall(sim);
  const after = await eventually('backends HEALTHY', async () => {
    const h = await health(sim);
    return h.healthy === h.total ? h : undefined;
  });
  const elapsed = Date.now() - fixedAt;
  const floor =
    sim.world.scaled(Number(hc.checkIntervalSec ?? 5) * 1000) * (Number(hc.healthyThreshold ?? 2) - 1);
  assert.ok(elapsed >= floor, `flipped after ${elapsed} ms, thresholds need at least ${floor} ms`);
  assert.equal(after.healthy, after.total);
  for (const g of after.groups)
    for (const i of g.instances) assert.equal(i.port, 9090, 'getHealth reports the named port');
});

test('port-moved: without the health check or the firewall fix the backends stay UNHEALTHY', async () => {
  const fixes = { namedPort: moveNamedPort, healthCheck: moveHealthCheck, firewall: moveFirewall };
  for (const missing of ['healthCheck', 'firewall'] as const) {
    const s = await startSim('port-moved');
    try {
      for (const [name, fix] of Object.entries(fixes)) if (name !== missing) await fix(s);
      const hc = (await s.clients.healthChecks.get({ project: s.project, healthCheck: 'web-hc' }))[0];
      await new Promise((r) => setTimeout(r, s.world.scaled(Number(hc.checkIntervalSec ?? 5) * 1000) * 6));
      assert.equal((await health(s)).healthy, 0, `without the ${missing} fix the backends stay UNHEALTHY`);
    } finally {
      await s.stop();
    }
  }
});

test('port-moved: health check and firewall without the named port: HEALTHY, requests fail to connect', async () => {
  const s = await startSim('port-moved');
  try {
    await moveHealthCheck(s);
    await moveFirewall(s);
    await eventually('backends HEALTHY', async () => {
      const h = await health(s);
      return h.healthy === h.total ? h : undefined;
    });
    const since = new Date().toISOString();
    const entries = await eventually('requests logged after the flip', async () => {
      const [found] = await s.clients.logging.getEntries({
        resourceNames: [`projects/${s.project}`],
        filter: `resource.type="http_load_balancer" AND timestamp>"${since}"`,
        pageSize: 50,
        autoPaginate: false,
      });
      return found.length > 0 ? found : undefined;
    });
    for (const e of entries) {
      assert.equal((e.metadata.httpRequest as { status?: number } | undefined)?.status, 502);
      assert.equal((e.data as { statusDetails?: string }).statusDetails, 'failed_to_connect_to_backend');
    }
  } finally {
    await s.stop();
  }
});
