import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import type { protos } from '@google-cloud/compute';
import type { Sim } from './http-harness';
import { startSim } from './http-harness';

type Operation = protos.google.cloud.compute.v1.IOperation;

const BASE = 'https://www.googleapis.com/compute/v1/projects/demo-project';
const ZONE = 'us-central1-a';

let sim: Sim;
let bs: InstanceType<typeof compute.BackendServicesClient>;
let hcs: InstanceType<typeof compute.HealthChecksClient>;
let fws: InstanceType<typeof compute.FirewallsClient>;
let igs: InstanceType<typeof compute.InstanceGroupsClient>;
let igms: InstanceType<typeof compute.InstanceGroupManagersClient>;
let instances: InstanceType<typeof compute.InstancesClient>;
let globalOps: InstanceType<typeof compute.GlobalOperationsClient>;
let zoneOps: InstanceType<typeof compute.ZoneOperationsClient>;

before(async () => {
  sim = await startSim('healthy');
  const o = sim.clientOptions;
  bs = new compute.BackendServicesClient(o);
  hcs = new compute.HealthChecksClient(o);
  fws = new compute.FirewallsClient(o);
  igs = new compute.InstanceGroupsClient(o);
  igms = new compute.InstanceGroupManagersClient(o);
  instances = new compute.InstancesClient(o);
  globalOps = new compute.GlobalOperationsClient(o);
  zoneOps = new compute.ZoneOperationsClient(o);
});

after(async () => {
  await sim.close();
});

/** What lbmedic does: a mutation's `[ExtendedOperation]`, then `wait` until DONE. */
async function waitDone(
  result: unknown,
  zone?: string,
): Promise<{ first: Operation; done: Operation; polls: number }> {
  const first = (result as [{ latestResponse: Operation }])[0].latestResponse;
  let op = first;
  let polls = 0;
  while (op.status !== 'DONE') {
    assert.ok(polls < 50, 'operation never finished');
    polls += 1;
    const name = first.name ?? '';
    [op] = zone
      ? await zoneOps.wait({ project: sim.project, zone, operation: name })
      : await globalOps.wait({ project: sim.project, operation: name });
  }
  return { first, done: op, polls };
}

/** The HTTP status and Google error body a REST-mode client error carries. */
function googleError(err: unknown): { code: number; reason: string | undefined; message: string } {
  const e = err as { code?: unknown; message?: string };
  const body = JSON.parse(e.message ?? '{}') as {
    error?: { message?: string; errors?: { reason?: string }[] };
  };
  return {
    code: Number(e.code),
    reason: body.error?.errors?.[0]?.reason,
    message: body.error?.message ?? '',
  };
}

async function rejectsWith(promise: Promise<unknown>, code: number, reason: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    const g = googleError(err);
    assert.equal(g.code, code, g.message);
    assert.equal(g.reason, reason);
    return true;
  });
}

test('backendServices.get and list answer in Compute REST shape', async () => {
  const [web] = await bs.get({ project: sim.project, backendService: 'web-bs' });
  assert.equal(web.kind, 'compute#backendService');
  assert.match(String(web.id), /^\d+$/);
  assert.equal(web.selfLink, `${BASE}/global/backendServices/web-bs`);
  assert.equal(web.portName, 'http');
  assert.equal(web.timeoutSec, 30);
  assert.deepEqual(web.healthChecks, [`${BASE}/global/healthChecks/web-hc`]);
  assert.equal(web.backends?.[0]?.group, `${BASE}/zones/${ZONE}/instanceGroups/web-ig`);
  assert.ok(web.fingerprint);
  assert.ok(web.creationTimestamp);

  const [all] = await bs.list({ project: sim.project });
  assert.deepEqual(
    all.map((b) => b.name),
    ['web-bs'],
  );
});

test('getHealth reports every instance with its IP and the named port', async () => {
  const [health] = await bs.getHealth({
    project: sim.project,
    backendService: 'web-bs',
    resourceGroupReferenceResource: { group: `zones/${ZONE}/instanceGroups/web-ig` },
  });
  assert.equal(health.kind, 'compute#backendServiceGroupHealth');
  const statuses = health.healthStatus ?? [];
  assert.equal(statuses.length, 3);
  for (const s of statuses) {
    assert.equal(s.healthState, 'HEALTHY');
    assert.match(String(s.instance), new RegExp(`^${BASE}/zones/${ZONE}/instances/web-ig-`));
    assert.match(String(s.ipAddress), /^127\./);
    assert.equal(s.port, 8080);
  }
  await rejectsWith(
    bs.getHealth({
      project: sim.project,
      backendService: 'web-bs',
      resourceGroupReferenceResource: { group: `zones/${ZONE}/instanceGroups/other-ig` },
    }),
    400,
    'invalid',
  );
});

test('a patch returns a PENDING operation that applies the change at DONE', async () => {
  const [before] = await bs.get({ project: sim.project, backendService: 'web-bs' });
  const result = await bs.patch({
    project: sim.project,
    backendService: 'web-bs',
    backendServiceResource: { timeoutSec: 45, fingerprint: before.fingerprint },
  });
  const { first, done } = await waitDone(result);
  assert.equal(first.kind, 'compute#operation');
  assert.equal(first.status, 'PENDING');
  assert.equal(first.operationType, 'patch');
  assert.equal(first.targetLink, `${BASE}/global/backendServices/web-bs`);
  assert.equal(first.targetId, before.id);
  assert.match(String(first.selfLink), new RegExp(`^${BASE}/global/operations/operation-`));
  assert.ok(first.insertTime && first.user);
  assert.equal(first.zone, undefined);
  assert.equal(done.status, 'DONE');
  assert.equal(done.progress, 100);
  assert.ok(!done.error, 'a successful operation has no error');

  const [afterPatch] = await bs.get({ project: sim.project, backendService: 'web-bs' });
  assert.equal(afterPatch.timeoutSec, 45);
  assert.equal(afterPatch.portName, 'http', 'fields not in the patch are kept');
  assert.notEqual(afterPatch.fingerprint, before.fingerprint, 'a patch bumps the fingerprint');

  // The old fingerprint is now stale.
  await rejectsWith(
    bs.patch({
      project: sim.project,
      backendService: 'web-bs',
      backendServiceResource: { timeoutSec: 50, fingerprint: before.fingerprint },
    }),
    412,
    'conditionNotMet',
  );
  await rejectsWith(
    bs.patch({ project: sim.project, backendService: 'web-bs', backendServiceResource: { timeoutSec: 0 } }),
    400,
    'invalid',
  );
});

test('operations can be addressed by the id the client wrapper calls `name`', async () => {
  const [{ fingerprint }] = await bs.get({ project: sim.project, backendService: 'web-bs' });
  const result = await bs.patch({
    project: sim.project,
    backendService: 'web-bs',
    backendServiceResource: { description: 'by id', fingerprint },
  });
  const wrapper = (result as unknown as [{ name: string; latestResponse: Operation }])[0];
  assert.equal(wrapper.name, wrapper.latestResponse.id);
  let [op] = await globalOps.get({ project: sim.project, operation: wrapper.name });
  assert.equal(op.name, wrapper.latestResponse.name);
  while (op.status !== 'DONE') [op] = await globalOps.wait({ project: sim.project, operation: wrapper.name });
  await rejectsWith(globalOps.get({ project: sim.project, operation: 'operation-nope' }), 404, 'notFound');
});

test('health checks: details under the type key; patches merge nested fields', async () => {
  const [hc] = await hcs.get({ project: sim.project, healthCheck: 'web-hc' });
  assert.equal(hc.kind, 'compute#healthCheck');
  assert.equal(hc.type, 'HTTP');
  assert.equal(hc.httpHealthCheck?.port, 8080);
  assert.equal(hc.httpHealthCheck?.requestPath, '/healthz');
  assert.ok(!hc.tcpHealthCheck, 'only the key matching the type is set');

  await waitDone(
    await hcs.patch({
      project: sim.project,
      healthCheck: 'web-hc',
      healthCheckResource: { httpHealthCheck: { port: 8081 }, checkIntervalSec: 10 },
    }),
  );
  const [patched] = await hcs.get({ project: sim.project, healthCheck: 'web-hc' });
  assert.equal(patched.httpHealthCheck?.port, 8081);
  assert.equal(patched.httpHealthCheck?.requestPath, '/healthz', 'nested fields merge');
  assert.equal(patched.checkIntervalSec, 10);
  await rejectsWith(
    hcs.patch({ project: sim.project, healthCheck: 'web-hc', healthCheckResource: { timeoutSec: 20 } }),
    400,
    'invalid',
  );
  await rejectsWith(
    hcs.patch({
      project: sim.project,
      healthCheck: 'web-hc',
      healthCheckResource: { tcpHealthCheck: { port: 1 } },
    }),
    400,
    'invalid',
  );
  await waitDone(
    await hcs.patch({
      project: sim.project,
      healthCheck: 'web-hc',
      healthCheckResource: { httpHealthCheck: { port: 8080 } },
    }),
  );
  const [list] = await hcs.list({ project: sim.project });
  assert.deepEqual(
    list.map((h) => h.name),
    ['web-hc'],
  );
});

test('firewalls: insert with defaults, duplicate 409, get 404, delete', async () => {
  const rule = {
    name: 'allow-probes-9090',
    sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
    targetTags: ['web'],
    allowed: [{ IPProtocol: 'tcp', ports: ['9090'] }],
  };
  const { first, done } = await waitDone(await fws.insert({ project: sim.project, firewallResource: rule }));
  assert.equal(first.operationType, 'insert');
  assert.equal(done.status, 'DONE');
  const [fw] = await fws.get({ project: sim.project, firewall: rule.name });
  assert.equal(fw.kind, 'compute#firewall');
  assert.equal(fw.priority, 1000);
  assert.equal(fw.direction, 'INGRESS');
  assert.equal(fw.network, `${BASE}/global/networks/default`);
  assert.equal(fw.allowed?.[0]?.IPProtocol, 'tcp');
  assert.deepEqual(fw.allowed?.[0]?.ports, ['9090']);
  assert.equal(first.targetId, fw.id, "the operation names the new rule's id");

  await rejectsWith(fws.insert({ project: sim.project, firewallResource: rule }), 409, 'alreadyExists');
  await rejectsWith(
    fws.insert({
      project: sim.project,
      firewallResource: { ...rule, name: 'both', denied: [{ IPProtocol: 'tcp' }] },
    }),
    400,
    'invalid',
  );
  await rejectsWith(
    fws.insert({ project: sim.project, firewallResource: { name: 'neither', sourceRanges: ['10.0.0.0/8'] } }),
    400,
    'invalid',
  );

  await waitDone(
    await fws.patch({ project: sim.project, firewall: rule.name, firewallResource: { priority: 900 } }),
  );
  const [patched] = await fws.get({ project: sim.project, firewall: rule.name });
  assert.equal(patched.priority, 900);
  assert.deepEqual(patched.sourceRanges, rule.sourceRanges);

  await waitDone(await fws.delete({ project: sim.project, firewall: rule.name }));
  await assert.rejects(fws.get({ project: sim.project, firewall: rule.name }), (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, 404, 'the client error carries the HTTP status');
    assert.equal(googleError(err).reason, 'notFound');
    return true;
  });
});

test('firewalls.listAsync pages with maxResults', async () => {
  const since = sim.server.requests.list().at(-1)?.seq ?? 0;
  const names: string[] = [];
  for await (const fw of fws.listAsync({ project: sim.project, maxResults: 1 })) names.push(fw.name ?? '');
  assert.deepEqual(names, ['default-allow-internal', 'fw-allow-health-check']);
  const pages = sim.server.requests.list(since).filter((r) => r.path.endsWith('/global/firewalls'));
  assert.equal(pages.length, 2);
  assert.match(pages[1]?.query ?? '', /pageToken=/);
});

test('instance groups: named ports, setNamedPorts replaces the list, stale fingerprint 412, listInstances', async () => {
  const [ig] = await igs.get({ project: sim.project, zone: ZONE, instanceGroup: 'web-ig' });
  assert.equal(ig.kind, 'compute#instanceGroup');
  assert.equal(ig.size, 3);
  assert.equal(ig.zone, `${BASE}/zones/${ZONE}`);
  assert.deepEqual(
    ig.namedPorts?.map((p) => [p.name, p.port]),
    [['http', 8080]],
  );

  const result = await igs.setNamedPorts({
    project: sim.project,
    zone: ZONE,
    instanceGroup: 'web-ig',
    instanceGroupsSetNamedPortsRequestResource: {
      namedPorts: [
        { name: 'http', port: 8080 },
        { name: 'admin', port: 9000 },
      ],
      fingerprint: ig.fingerprint,
    },
  });
  const { first } = await waitDone(result, ZONE);
  assert.equal(first.zone, `${BASE}/zones/${ZONE}`);
  assert.equal(first.operationType, 'setNamedPorts');

  await waitDone(
    await igs.setNamedPorts({
      project: sim.project,
      zone: ZONE,
      instanceGroup: 'web-ig',
      instanceGroupsSetNamedPortsRequestResource: { namedPorts: [{ name: 'http', port: 8080 }] },
    }),
    ZONE,
  );
  const [replaced] = await igs.get({ project: sim.project, zone: ZONE, instanceGroup: 'web-ig' });
  assert.deepEqual(
    replaced.namedPorts?.map((p) => [p.name, p.port]),
    [['http', 8080]],
    'the whole list is replaced',
  );
  assert.notEqual(replaced.fingerprint, ig.fingerprint);

  await rejectsWith(
    igs.setNamedPorts({
      project: sim.project,
      zone: ZONE,
      instanceGroup: 'web-ig',
      instanceGroupsSetNamedPortsRequestResource: { namedPorts: [], fingerprint: ig.fingerprint },
    }),
    412,
    'conditionNotMet',
  );
  await rejectsWith(
    igs.get({ project: sim.project, zone: 'europe-west1-b', instanceGroup: 'web-ig' }),
    404,
    'notFound',
  );

  const [members] = await igs.listInstances({
    project: sim.project,
    zone: ZONE,
    instanceGroup: 'web-ig',
    instanceGroupsListInstancesRequestResource: { instanceState: 'ALL' },
  });
  assert.equal(members.length, 3);
  assert.match(String(members[0]?.instance), new RegExp(`^${BASE}/zones/${ZONE}/instances/`));
  assert.equal(members[0]?.status, 'RUNNING');
  assert.deepEqual(
    members[0]?.namedPorts?.map((p) => p.port),
    [8080],
  );
});

test('instance group managers and instances', async () => {
  const [igm] = await igms.get({ project: sim.project, zone: ZONE, instanceGroupManager: 'web-ig' });
  assert.equal(igm.kind, 'compute#instanceGroupManager');
  assert.equal(igm.instanceGroup, `${BASE}/zones/${ZONE}/instanceGroups/web-ig`);
  assert.equal(igm.targetSize, 3);
  assert.equal(igm.currentActions?.none, 3);
  assert.deepEqual(
    igm.namedPorts?.map((p) => p.port),
    [8080],
  );

  const [vms] = await instances.list({ project: sim.project, zone: ZONE });
  assert.equal(vms.length, 3);
  const [vm] = await instances.get({ project: sim.project, zone: ZONE, instance: vms[0]?.name ?? '' });
  assert.equal(vm.kind, 'compute#instance');
  assert.deepEqual(vm.tags?.items, ['web']);
  assert.match(String(vm.networkInterfaces?.[0]?.networkIP), /^127\./);
  const [filtered] = await instances.list({
    project: sim.project,
    zone: ZONE,
    filter: `name = "${vm.name ?? ''}"`,
  });
  assert.equal(filtered.length, 1);
});

test('wait is best effort: it returns before DONE when the operation takes longer', async () => {
  const slow = await startSim('healthy', { operationDelaySimMs: 3_600_000, waitTimeoutMs: 50 });
  try {
    const ops = new compute.GlobalOperationsClient(slow.clientOptions);
    const client = new compute.BackendServicesClient(slow.clientOptions);
    const [{ fingerprint }] = await client.get({ project: slow.project, backendService: 'web-bs' });
    const [result] = await client.patch({
      project: slow.project,
      backendService: 'web-bs',
      backendServiceResource: { timeoutSec: 99, fingerprint },
    });
    const [op] = await ops.wait({ project: slow.project, operation: result.latestResponse.name ?? '' });
    assert.notEqual(op.status, 'DONE');
    const [unchanged] = await client.get({ project: slow.project, backendService: 'web-bs' });
    assert.equal(unchanged.timeoutSec, 30, 'nothing is applied before DONE');
  } finally {
    await slow.close();
  }
});
