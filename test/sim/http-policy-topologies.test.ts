/**
 * 15b's GCP rules on 15a's topologies, through the real clients: a network firewall policy judges the
 * load balancer's data traffic from a proxy-only subnet (exactly, a denied /25 of the /23 included) and
 * lbmedic's worker as it judges the health checks; regional resources take one change at a time, and
 * a regional backend service patch needs its fingerprint, as global ones do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import compute from '@google-cloud/compute';
import { startSim } from './http-harness';
import type { Sim } from './http-harness';
import { eventually, requestLines, signatures, untilDone } from './http-ops';

const BASE = 'https://www.googleapis.com/compute/v1/projects';
const REGION = 'us-central1';
const GUARD = new URL('../fixtures/scenarios/ilb-policy-guard.yaml', import.meta.url).pathname;

function rejection(code: number, reason: string) {
  return (err: unknown) => {
    const e = err as { code?: unknown; message?: string };
    const body = JSON.parse(e.message ?? '{}') as { error?: { errors?: { reason?: string }[] } };
    assert.equal(Number(e.code), code, e.message);
    assert.equal(body.error?.errors?.[0]?.reason, reason);
    return true;
  };
}

async function regionalHealth(sim: Sim): Promise<string[]> {
  const [answer] = await new compute.RegionBackendServicesClient(sim.clientOptions).getHealth({
    project: sim.project,
    region: REGION,
    backendService: 'orders-bs',
    resourceGroupReferenceResource: {
      group: `${BASE}/${sim.project}/zones/us-central1-b/instanceGroups/orders-ig`,
    },
  });
  return (answer.healthStatus ?? []).map((s) => `${s.healthState}:${s.port}`);
}

/** Request signatures of the internal ALB newer than `since`, once there are some. */
async function signaturesSince(sim: Sim, since: string): Promise<string[]> {
  const lines = await eventually('request log entries', async () => {
    const found = await requestLines(sim, `resource.type="internal_http_lb_rule" AND timestamp>"${since}"`);
    return found.length > 0 ? found : undefined;
  });
  return signatures(lines);
}

test('a network firewall policy closes part of the proxy-only subnet: HEALTHY, yet failed_to_connect_to_backend; the worker is dropped by its rule', async () => {
  const sim = await startSim(GUARD);
  try {
    await eventually('HEALTHY', async () =>
      (await regionalHealth(sim)).join() === 'HEALTHY:8080' ? true : undefined,
    );
    const healthyAt = new Date().toISOString();
    assert.deepEqual(await signaturesSince(sim, healthyAt), ['502 failed_to_connect_to_backend']);

    // lbmedic's worker (10.128.0.2): default-allow-internal would admit it, the policy comes first.
    const state = await sim.call('GET', `/_sim/projects/${sim.project}/worker`);
    const worker = state.json['worker'] as { loopbackAddress: string };
    const ip = sim.world.projects.get(sim.project)?.instances.get('orders-ig-5r2m')?.networkIP;
    assert.ok(ip);
    let answered: number | undefined;
    const req = request(
      { host: ip, port: 8080, path: '/healthz', agent: false, localAddress: worker.loopbackAddress },
      (res) => {
        res.resume();
        answered = res.statusCode;
      },
    );
    req.on('error', () => undefined);
    req.end();
    const drop = await eventually('the worker connection is dropped', async () => {
      const { json } = await sim.call('GET', `/_sim/projects/${sim.project}/worker`);
      return (json['dropped'] as { rule: string; port: number }[])[0];
    });
    assert.deepEqual(drop && { rule: drop.rule, port: drop.port }, {
      rule: 'orders-guard priority 910',
      port: 8080,
    });
    assert.equal(answered, undefined, 'a dropped connection gets no answer');
    req.destroy();

    // Removing the policy rule opens the proxy-only subnet: requests succeed.
    const policies = new compute.NetworkFirewallPoliciesClient(sim.clientOptions);
    await untilDone(
      sim,
      await policies.removeRule({ project: sim.project, firewallPolicy: 'orders-guard', priority: 900 }),
    );
    const fixedAt = new Date().toISOString();
    assert.deepEqual(await signaturesSince(sim, fixedAt), ['200 response_sent_by_backend']);
  } finally {
    await sim.close();
  }
});

test('regional resources take one change at a time, and a regional backend service patch needs its fingerprint', async () => {
  // Operations take a real second, so a second change can arrive while the first runs.
  const sim = await startSim('healthy-topologies', { operationDelaySimMs: 50_000 });
  try {
    const project = sim.project;
    const services = new compute.RegionBackendServicesClient(sim.clientOptions);
    await assert.rejects(
      services.patch({
        project,
        region: REGION,
        backendService: 'orders-bs',
        backendServiceResource: { timeoutSec: 40 },
      }),
      rejection(412, 'conditionNotMet'),
    );
    const [bs] = await services.get({ project, region: REGION, backendService: 'orders-bs' });
    const first = await services.patch({
      project,
      region: REGION,
      backendService: 'orders-bs',
      backendServiceResource: { timeoutSec: 40, fingerprint: bs.fingerprint },
    });
    await assert.rejects(
      services.patch({
        project,
        region: REGION,
        backendService: 'orders-bs',
        backendServiceResource: { timeoutSec: 50, fingerprint: bs.fingerprint },
      }),
      rejection(400, 'resourceNotReady'),
    );
    await untilDone(sim, first);

    const checks = new compute.RegionHealthChecksClient(sim.clientOptions);
    const patchCheck = (checkIntervalSec: number) =>
      checks.patch({
        project,
        region: REGION,
        healthCheck: 'orders-hc',
        healthCheckResource: { checkIntervalSec },
      });
    const check = await patchCheck(6);
    await assert.rejects(patchCheck(7), rejection(400, 'resourceNotReady'));
    await untilDone(sim, check);

    const groups = new compute.RegionInstanceGroupsClient(sim.clientOptions);
    const [group] = await groups.get({ project, region: REGION, instanceGroup: 'web-rmig' });
    const setPorts = (port: number) =>
      groups.setNamedPorts({
        project,
        region: REGION,
        instanceGroup: 'web-rmig',
        regionInstanceGroupsSetNamedPortsRequestResource: {
          namedPorts: [{ name: 'http', port }],
          fingerprint: group.fingerprint,
        },
      });
    const ports = await setPorts(8080);
    await assert.rejects(setPorts(8081), rejection(400, 'resourceNotReady'));
    await untilDone(sim, ports);
    // The fingerprint read before the first change is stale now.
    await assert.rejects(setPorts(8081), rejection(412, 'conditionNotMet'));
  } finally {
    await sim.close();
  }
});
