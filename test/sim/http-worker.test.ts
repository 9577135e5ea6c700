/**
 * lbmedic's own in-VPC probe meets the firewall: connections from the worker's loopback address are
 * judged as if they came from the worker's simulated address and tags, and dropped (held unanswered)
 * where no rule admits them; other connections are not the worker's. Firewall changes through the
 * real compute client take effect on the next connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { ClientRequest } from 'node:http';
import compute from '@google-cloud/compute';
import { startSim } from './http-harness';
import type { Sim } from './http-harness';
import { eventually, untilDone } from './http-ops';

interface WorkerState {
  worker: { ipAddress: string; network: string; tags: string[]; loopbackAddress: string };
  dropped: { instance: string; port: number; rule: string }[];
}

async function workerState(sim: Sim): Promise<WorkerState> {
  const { status, json } = await sim.call('GET', `/_sim/projects/${sim.project}/worker`);
  assert.equal(status, 200);
  return json as unknown as WorkerState;
}

function instanceIp(sim: Sim, name: string): string {
  const ip = sim.world.projects.get(sim.project)?.instances.get(name)?.networkIP;
  assert.ok(ip);
  return ip;
}

/** A GET, optionally from `localAddress`; `answer` settles with the status when one comes. */
function get(ip: string, localAddress?: string): { req: ClientRequest; answer: Promise<number | string> } {
  let req!: ClientRequest;
  const answer = new Promise<number | string>((resolve) => {
    req = request(
      { host: ip, port: 8080, path: '/healthz', agent: false, ...(localAddress ? { localAddress } : {}) },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
  return { req, answer };
}

/** The worker's request is dropped: the simulator records the drop and no answer has come. */
async function assertDropped(sim: Sim, instance: string, rule: RegExp): Promise<void> {
  const before = (await workerState(sim)).dropped.length;
  const { worker } = await workerState(sim);
  const { req, answer } = get(instanceIp(sim, instance), worker.loopbackAddress);
  let answered: number | string | undefined;
  void answer.then((a) => (answered = a));
  const drop = await eventually('the drop is recorded', async () => {
    const { dropped } = await workerState(sim);
    return dropped.length > before ? dropped[dropped.length - 1] : undefined;
  });
  assert.equal(answered, undefined, 'a dropped connection gets no answer');
  assert.equal(drop.instance, instance);
  assert.equal(drop.port, 8080);
  assert.match(drop.rule, rule);
  req.destroy();
}

test('probe-blocked: the worker is dropped by the implied deny; other sources are not the worker', async () => {
  const sim = await startSim('probe-blocked');
  try {
    const { worker, dropped } = await workerState(sim);
    assert.equal(worker.ipAddress, '10.128.0.2');
    assert.deepEqual(worker.tags, ['lbmedic']);
    assert.match(worker.loopbackAddress, /^127\.\d+\.\d+\.\d+$/);
    assert.deepEqual(dropped, []);
    // Not from the worker's address: served, as a developer's curl would be.
    assert.equal(await get(instanceIp(sim, 'web-ig-3h7c')).answer, 200);
    await assertDropped(sim, 'web-ig-3h7c', /^implied-deny-ingress$/);

    // A rule admitting the worker's tag opens the way for its next connection.
    const firewalls = new compute.FirewallsClient(sim.clientOptions);
    await untilDone(
      sim,
      await firewalls.insert({
        project: sim.project,
        firewallResource: {
          name: 'allow-lbmedic-probe',
          sourceTags: ['lbmedic'],
          targetTags: ['web'],
          allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
        },
      }),
    );
    assert.equal(await get(instanceIp(sim, 'web-ig-9kq2'), worker.loopbackAddress).answer, 200);

    // The worker moved to another VPC: no route at all.
    const patched = await sim.call('PATCH', `/_sim/projects/${sim.project}/worker`, { network: 'ops-vpc' });
    assert.equal(patched.status, 200);
    await assertDropped(sim, 'web-ig-9kq2', /^no route from network .*ops-vpc/);
  } finally {
    await sim.close();
  }
});

test('healthy: the default worker (10.128.0.2) is admitted by default-allow-internal; a deny above it drops it', async () => {
  const sim = await startSim('healthy');
  try {
    const { worker } = await workerState(sim);
    assert.equal(worker.ipAddress, '10.128.0.2');
    assert.equal(await get(instanceIp(sim, 'web-ig-3h7c'), worker.loopbackAddress).answer, 200);
    const firewalls = new compute.FirewallsClient(sim.clientOptions);
    await untilDone(
      sim,
      await firewalls.insert({
        project: sim.project,
        firewallResource: {
          name: 'deny-ops-subnet',
          priority: 900,
          sourceRanges: ['10.128.0.0/24'],
          denied: [{ IPProtocol: 'tcp' }],
        },
      }),
    );
    await assertDropped(sim, 'web-ig-3h7c', /^deny-ops-subnet$/);
    // The worker's address is the scenario's to choose: outside the denied range it passes again.
    const bad = await sim.call('PATCH', `/_sim/projects/${sim.project}/worker`, { ipAddress: '10.128.9' });
    assert.equal(bad.status, 400);
    await sim.call('PATCH', `/_sim/projects/${sim.project}/worker`, { ipAddress: '10.128.5.20' });
    assert.equal(await get(instanceIp(sim, 'web-ig-3h7c'), worker.loopbackAddress).answer, 200);
  } finally {
    await sim.close();
  }
});
