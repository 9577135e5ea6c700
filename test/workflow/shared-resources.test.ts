/**
 * Blast radius, end to end on the shipped `shared-resources` scenario (real dev server, the simulator,
 * the real Google clients): web-bs and api-bs share a health check, and a legacy rule admits 0.0.0.0/0
 * to tcp:8080 with no target tags. lbmedic fixes web-bs through resources it owns and never touches
 * what api-bs relies on; a change that would hurt api-bs is rolled back and named; a remediation that
 * would set back what another one set stops and escalates once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROBE_RANGES } from '../../core/firewall';
import { rejectSignal, statusQuery } from '../../workflows/definitions';
import type { PendingApproval } from '../../workflows/state';
import { approversYaml, signedRequest, sshKeygen } from '../helpers/approvers';
import type { RemediationResult } from '../../workflows/remediation';
import { mutationsOf } from '../helpers/port-moved';
import { apiRequests, control, eventually, type SimHarness } from '../helpers/sim';
import { policyDir, removeDir, startStack, type Stack } from '../helpers/stack';
import { startDevServer } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
});

/** A resource exactly as the Compute API answers it: the raw bytes of the GET. */
async function rawResource(sim: SimHarness, path: string): Promise<string> {
  const res = await fetch(`${sim.url}/compute/v1/projects/${sim.project}/${path}`);
  assert.equal(res.status, 200, path);
  return res.text();
}

async function healthOf(sim: SimHarness, backendService: string): Promise<string[]> {
  const { clients, project } = sim;
  const [bs] = await clients.backendServices.get({ project, backendService });
  const states: string[] = [];
  for (const b of bs.backends ?? []) {
    const [h] = await clients.backendServices.getHealth({
      project,
      backendService,
      resourceGroupReferenceResource: { group: b.group ?? '' },
    });
    states.push(...(h.healthStatus ?? []).map((x) => String(x.healthState)));
  }
  return states;
}

/** Polls `backendService`'s getHealth until `stop()`; every answer it saw. */
function watchHealth(sim: SimHarness, backendService: string) {
  const seen: string[][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      seen.push(await healthOf(sim, backendService));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await loop;
    },
  };
}

const result = async (id: string) => (await env.client.workflow.getHandle(id).result()) as RemediationResult;

test('shared-resources: web-bs is fixed through lbmedic-owned resources; api-bs stays HEALTHY throughout, the broad rule is untouched, and remediating api-bs afterwards undoes nothing', async () => {
  const stack = await startStack(env, 'shared-resources');
  const { sim } = stack;
  try {
    const untouched = [
      'global/firewalls/legacy-allow-all',
      'global/healthChecks/shared-hc',
      'global/backendServices/api-bs',
    ];
    const before = await Promise.all(untouched.map((p) => rawResource(sim, p)));
    assert.deepEqual(await healthOf(sim, 'api-bs'), ['HEALTHY']);
    const api = watchHealth(sim, 'api-bs');

    const id = await stack.alert('web-bs');
    const fixed = await result(id);
    await api.stop();
    assert.equal(fixed.outcome, 'REMEDIATED', fixed.summary);
    assert.ok(api.seen.length > 5, `api-bs was watched throughout (${api.seen.length} reads)`);
    assert.deepEqual(
      [...new Set(api.seen.map((s) => s.join()))],
      ['HEALTHY'],
      'api-bs HEALTHY at every read',
    );
    assert.deepEqual(await Promise.all(untouched.map((p) => rawResource(sim, p))), before, 'byte for byte');
    assert.deepEqual(await healthOf(sim, 'web-bs'), ['HEALTHY', 'HEALTHY']);

    // Only lbmedic's own resources were created; of the others, only web-bs and its own group changed.
    const rule = fixed.applied.find((s) => s.startsWith('firewall/'))?.slice('firewall/'.length) ?? '';
    assert.deepEqual(
      mutationsOf(await apiRequests(sim)).map(
        (r) => `${r.method} ${r.path.replace(/^.*\/projects\/[^/]+\//, '')}`,
      ),
      [
        'POST global/healthChecks',
        'PATCH global/backendServices/web-bs',
        'POST zones/us-central1-a/instanceGroups/web-ig/setNamedPorts',
        'POST global/firewalls',
      ],
    );
    assert.deepEqual(fixed.applied, [
      'healthCheck/lbmedic-hc-web-bs',
      'backendService/web-bs/healthCheck',
      'instanceGroup/us-central1-a/web-ig',
      `firewall/${rule}`,
    ]);
    const [fw] = await sim.clients.firewalls.get({ project: sim.project, firewall: rule });
    assert.match(rule, /^lbmedic-/);
    assert.match(fw.description ?? '', /^lbmedic: /);
    assert.deepEqual([...(fw.sourceRanges ?? [])].sort(), [...PROBE_RANGES].sort());
    assert.deepEqual(fw.targetTags, ['web']);
    assert.deepEqual(
      fw.allowed?.map((a) => [a.IPProtocol, a.ports]),
      [['tcp', ['9090']]],
    );
    const [copy] = await sim.clients.healthChecks.get({
      project: sim.project,
      healthCheck: 'lbmedic-hc-web-bs',
    });
    assert.match(copy.description ?? '', /^lbmedic: dedicated copy of health check shared-hc/);
    assert.equal(copy.httpHealthCheck?.port, 9090);

    // The impact is in the plan, the memo and the status query.
    const handle = env.client.workflow.getHandle(id);
    const memo = (await handle.describe()).memo;
    assert.match(String(memo?.plan), /also affects: nothing beyond web-bs/);
    const status = await handle.query(statusQuery);
    assert.deepEqual(
      (status.impact as { step: string; backendServices: string[] }[]).map((i) => [
        i.step,
        i.backendServices,
      ]),
      fixed.applied.map((s) => [s, []]),
    );

    // api-bs's own remediation finds nothing to undo.
    const requestsBefore = (await apiRequests(sim)).length;
    const other = await result(await stack.alert('api-bs', { incidentId: 'inc-api' }));
    assert.equal(other.outcome, 'NO_FAULT', other.summary);
    assert.deepEqual(
      mutationsOf((await apiRequests(sim)).slice(requestsBefore)),
      [],
      'api-bs changed nothing',
    );
    assert.deepEqual(await healthOf(sim, 'web-bs'), ['HEALTHY', 'HEALTHY']);
    assert.deepEqual(await Promise.all(untouched.map((p) => rawResource(sim, p))), before);
  } finally {
    await stack.stop();
  }
});

test('maxImpact: patching the shared check in place escalates by default, and waits for a person with beyond: approve', async () => {
  const inPlace = {
    'health-check-mismatch.yaml': [['whenShared: copy', 'whenShared: patch']] as [string, string][],
  };
  const dir = policyDir(inPlace);
  const stack = await startStack(env, 'shared-resources', { policies: dir });
  try {
    const r = await result(await stack.alert('web-bs'));
    assert.equal(r.outcome, 'ESCALATED', r.summary);
    assert.match(
      r.summary,
      /healthCheck\/shared-hc also affects api-bs \(health check shared-hc is also used by api-bs\)/,
    );
    assert.deepEqual(mutationsOf(await apiRequests(stack.sim)), [], 'nothing of the plan was applied');
  } finally {
    await stack.stop();
    removeDir(dir);
  }
  const ann = sshKeygen('ann@example.com');
  const approveDir = policyDir(
    {
      'health-check-mismatch.yaml': [
        ...inPlace['health-check-mismatch.yaml'],
        ['beyond: escalate', 'beyond: approve'],
      ],
    },
    { 'approvers.yaml': approversYaml([{ name: ann.name, keys: [ann.publicKey] }]) },
  );
  const waiting = await startStack(env, 'shared-resources', { policies: approveDir });
  try {
    const id = await waiting.alert('web-bs');
    const handle = env.client.workflow.getHandle(id);
    const status = await eventually('the plan waits for a person', async () => {
      const s = await handle.query(statusQuery).catch(() => undefined);
      return s?.phase === 'AWAITING_APPROVAL' ? s : undefined;
    });
    assert.match(String((status.plan as { rendered?: string }).rendered), /also affects: api-bs/);
    const pending = status.approval as PendingApproval;
    await handle.signal(
      rejectSignal,
      await signedRequest(ann, {
        decision: 'reject',
        reason: 'api-bs would break',
        workflow: id,
        run: pending.run,
        plan: pending.plan,
      }),
    );
    assert.equal(((await handle.result()) as RemediationResult).outcome, 'REJECTED');
  } finally {
    await waiting.stop();
    removeDir(approveDir);
  }
});

/** The health-check policy, made to patch a shared check where it is when one other service is reached. */
const PATCH_SHARED = {
  'health-check-mismatch.yaml': [
    ['whenShared: copy', 'whenShared: patch'],
    ['otherBackendServices: 0', 'otherBackendServices: 1'],
  ] as [string, string][],
};

test('a change that makes a sibling backend service less healthy is rolled back, and the outcome names the sibling', async () => {
  const dir = policyDir(PATCH_SHARED);
  const stack = await startStack(env, 'shared-resources', { policies: dir });
  const { sim } = stack;
  try {
    const hcBefore = await rawResource(sim, 'global/healthChecks/shared-hc');
    const r = await result(await stack.alert('web-bs'));
    assert.equal(r.outcome, 'ROLLED_BACK', r.summary);
    assert.match(
      r.summary,
      /^the change made another backend service less healthy: api-bs 1\/1 → 0\/1 HEALTHY; every change was rolled back/,
    );
    assert.ok(r.applied.includes('healthCheck/shared-hc'), 'the shared check was patched in place');
    assert.equal(await rawResource(sim, 'global/healthChecks/shared-hc'), hcBefore, 'and restored');
    await eventually('api-bs HEALTHY again', async () =>
      (await healthOf(sim, 'api-bs')).every((s) => s === 'HEALTHY') ? true : undefined,
    );
  } finally {
    await stack.stop();
    removeDir(dir);
  }
});

async function setApp(stack: Stack, instance: string, app: object) {
  await control(stack.sim, 'PATCH', `projects/${stack.sim.project}/instances/${instance}/app`, app);
}

test('a remediation that would undo what another set within the window stops and escalates once, naming both', async () => {
  const dir = policyDir(PATCH_SHARED);
  const stack = await startStack(env, 'shared-resources', { policies: dir });
  const { sim } = stack;
  try {
    // api-bs is down for its own reasons: moving the shared check to 9090 does not make it worse.
    await setApp(stack, 'api-ig-1', { running: false });
    await eventually('api-bs UNHEALTHY', async () =>
      (await healthOf(sim, 'api-bs')).every((s) => s === 'UNHEALTHY') ? true : undefined,
    );
    const web = await result(await stack.alert('web-bs'));
    assert.equal(web.outcome, 'REMEDIATED', web.summary);
    assert.ok(web.applied.includes('healthCheck/shared-hc'));

    // api-bs comes back on 8080; its diagnosis wants the shared check back on 8080.
    await setApp(stack, 'api-ig-1', { running: true });
    const first = await result(await stack.alert('api-bs', { incidentId: 'inc-api-1' }));
    assert.equal(first.outcome, 'ESCALATED', first.summary);
    const webId = `lbmedic/${sim.project}/web-bs`;
    const apiId = `lbmedic/${sim.project}/api-bs`;
    assert.match(first.summary, /^flip-flop: /);
    assert.ok(first.summary.includes(apiId) && first.summary.includes(webId), first.summary);
    assert.match(first.summary, /httpHealthCheck\.port back from 9090 to 8080/);
    assert.deepEqual(first.applied, []);

    const again = await result(await stack.alert('api-bs', { incidentId: 'inc-api-2' }));
    assert.equal(again.outcome, 'BLOCKED_BY_LIMITS', again.summary);
    assert.match(again.summary, new RegExp(`${apiId} already escalated this flip-flop`));
    const [hc] = await sim.clients.healthChecks.get({ project: sim.project, healthCheck: 'shared-hc' });
    assert.equal(hc.httpHealthCheck?.port, 9090, 'nothing was set back');
  } finally {
    await stack.stop();
    removeDir(dir);
  }
});
