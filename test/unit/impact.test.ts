/**
 * Impact (core/impact.ts): what each kind of change reaches through the topology, and what a
 * policy's maxImpact makes of a step that reaches beyond the target backend service.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import type { Evidence, TopologyFacts } from '../../core/evidence';
import {
  healthCheckUsers,
  impactVerdict,
  parseBackendServiceKey,
  portNameUsers,
  ruleReach,
  stepImpact,
} from '../../core/impact';
import type { Mutation } from '../../core/mutation';
import { buildPlan } from '../../core/plan';
import { renderPlan } from '../../core/plan-render';
import { Policy, type PolicySet } from '../../policies/schema';
import { shippedPolicies } from '../helpers/approvers';
import { broken, evidence, NET } from '../helpers/evidence-fixture';

const OTHER_NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/other';

/** web-bs and api-bs share a health check; admin-bs shares web-ig's port name `http`; db-1 is on another network. */
const topo: TopologyFacts = {
  backendServices: [
    { name: 'web-bs', portName: 'http', healthCheck: 'shared-hc', groups: [{ name: 'web-ig', zone: 'z1' }] },
    { name: 'api-bs', portName: 'http', healthCheck: 'shared-hc', groups: [{ name: 'api-ig', zone: 'z1' }] },
    { name: 'admin-bs', portName: 'http', healthCheck: 'admin-hc', groups: [{ name: 'web-ig', zone: 'z1' }] },
    {
      name: 'metrics-bs',
      portName: 'metrics',
      healthCheck: 'admin-hc',
      groups: [{ name: 'web-ig', zone: 'z1' }],
    },
  ],
  instanceGroups: [
    { name: 'web-ig', zone: 'z1', instances: ['web-1'] },
    { name: 'api-ig', zone: 'z1', instances: ['api-1'] },
  ],
  instances: [
    { name: 'web-1', zone: 'z1', network: NET, tags: ['web'], serviceAccounts: [] },
    { name: 'api-1', zone: 'z1', network: NET, tags: ['api'], serviceAccounts: ['api@p.iam'] },
    { name: 'db-1', zone: 'z1', network: OTHER_NET, tags: ['web'], serviceAccounts: [] },
  ],
  truncated: [],
};

test('who uses what: a health check, a port name on a group, the instances a rule applies to', () => {
  assert.deepEqual(healthCheckUsers(topo, 'shared-hc'), ['api-bs', 'web-bs']);
  assert.deepEqual(portNameUsers(topo, { name: 'web-ig', zone: 'z1' }, ['http']), ['admin-bs', 'web-bs']);
  assert.deepEqual(portNameUsers(topo, { name: 'web-ig', zone: 'z2' }, ['http']), []);
  assert.deepEqual(ruleReach(topo, { network: NET, targetTags: ['web'] }), {
    instances: ['z1/web-1'],
    backendServices: ['admin-bs', 'metrics-bs', 'web-bs'],
  });
  assert.deepEqual(ruleReach(topo, { network: NET, targetServiceAccounts: ['api@p.iam'] }).backendServices, [
    'api-bs',
  ]);
  // No targets: every instance of the network (and only that network).
  assert.deepEqual(ruleReach(topo, { network: NET }).instances, ['z1/api-1', 'z1/web-1']);
});

const ok = { ok: true as const, value: topo };
const impact = (apply: Mutation, inverse: Mutation = apply, t: Evidence['topology'] = ok) =>
  stepImpact({ apply, inverse }, { backendService: 'web-bs' }, t, []);

test('step impact: per kind of change, the target left out', () => {
  const hc = impact({ kind: 'patchHealthCheck', healthCheck: 'shared-hc', type: 'HTTP', port: 9090 });
  assert.deepEqual(hc, {
    backendServices: ['api-bs'],
    via: 'health check shared-hc is also used by api-bs',
    complete: true,
  });
  const ports = (port: number): Mutation => ({
    kind: 'setNamedPorts',
    instanceGroup: 'web-ig',
    zone: 'z1',
    namedPorts: [
      { name: 'http', port },
      { name: 'metrics', port: 9100 },
    ],
  });
  // Only the port names whose port moves count: metrics-bs keeps its port.
  assert.deepEqual(impact(ports(9090), ports(8080)).backendServices, ['admin-bs']);
  const rule = impact({
    kind: 'insertFirewall',
    firewall: 'lbmedic-x',
    network: NET,
    priority: 1000,
    sourceRanges: ['35.191.0.0/16'],
    targetTags: ['web'],
    allowed: [{ IPProtocol: 'tcp', ports: ['9090'] }],
    description: 'lbmedic: x',
  });
  assert.deepEqual([rule.backendServices, rule.instances], [['admin-bs', 'metrics-bs'], 1]);
  assert.deepEqual(
    impact({
      kind: 'setBackendServiceHealthCheck',
      backendService: 'web-bs',
      healthCheck: 'lbmedic-hc-web-bs',
    }),
    { backendServices: [], via: 'nothing beyond web-bs', complete: true },
  );
});

/**
 * A global web-bs and a regional web-bs of the same name, each with a health check named hc (one
 * global, one regional); the regional ilb-bs shares the regional hc, and the regional web-bs serves
 * from the same zonal group as the global one.
 */
const scoped: TopologyFacts = {
  backendServices: [
    { name: 'web-bs', portName: 'http', healthCheck: 'hc', groups: [{ name: 'web-ig', zone: 'z1' }] },
    {
      name: 'web-bs',
      region: 'us-central1',
      portName: 'http',
      healthCheck: 'hc',
      healthCheckRegion: 'us-central1',
      groups: [{ name: 'web-ig', zone: 'z1' }],
    },
    {
      name: 'ilb-bs',
      region: 'us-central1',
      portName: 'http',
      healthCheck: 'hc',
      healthCheckRegion: 'us-central1',
      groups: [{ name: 'api-ig', zone: 'z1' }],
    },
  ],
  instanceGroups: topo.instanceGroups,
  instances: topo.instances,
  truncated: [],
};

test('regional backend services: named region/name, and a check reaches only backend services of its own scope', () => {
  assert.deepEqual(parseBackendServiceKey('us-central1/web-bs'), {
    backendService: 'web-bs',
    region: 'us-central1',
  });
  assert.deepEqual(parseBackendServiceKey('web-bs'), { backendService: 'web-bs' });
  assert.deepEqual(healthCheckUsers(scoped, 'hc'), ['web-bs']);
  assert.deepEqual(healthCheckUsers(scoped, 'hc', 'us-central1'), [
    'us-central1/ilb-bs',
    'us-central1/web-bs',
  ]);
  const reach = (apply: Mutation, target: { backendService: string; region?: string }) =>
    stepImpact({ apply, inverse: apply }, target, { ok: true, value: scoped }, []).backendServices;
  const global = { backendService: 'web-bs' };
  const regional = { backendService: 'web-bs', region: 'us-central1' };
  const patch = (region?: string): Mutation => ({
    kind: 'patchHealthCheck',
    healthCheck: 'hc',
    ...(region ? { region } : {}),
    type: 'HTTP',
    port: 9090,
  });
  // The global hc is the global web-bs's alone; the regional one is shared with ilb-bs, not with the
  // global namesake, and the regional target itself is left out.
  assert.deepEqual(reach(patch(), global), []);
  assert.deepEqual(reach(patch('us-central1'), regional), ['us-central1/ilb-bs']);
  // Moving web-ig's http port reaches the regional load balancer serving from the same group.
  const ports = (port: number): Mutation => ({
    kind: 'setNamedPorts',
    instanceGroup: 'web-ig',
    zone: 'z1',
    namedPorts: [{ name: 'http', port }],
  });
  const moved = stepImpact(
    { apply: ports(9090), inverse: ports(8080) },
    global,
    { ok: true, value: scoped },
    [],
  );
  assert.deepEqual(moved.backendServices, ['us-central1/web-bs']);
  // A change to the target backend service itself reaches nothing else, whatever its scope.
  const timeout: Mutation = { kind: 'patchBackendService', backendService: 'web-bs', timeoutSec: 60 };
  assert.deepEqual(reach(timeout, regional), []);
});

test('step impact: an unreadable or cut topology makes it incomplete, which no limit lets through', () => {
  const patch: Mutation = { kind: 'patchHealthCheck', healthCheck: 'web-hc', type: 'HTTP', port: 9090 };
  const unread = impact(patch, patch, { ok: false, error: '503 backendError' });
  assert.equal(unread.complete, false);
  assert.match(unread.via, /unknown: the project's topology could not be read \(503 backendError\)/);
  const cut = impact(patch, patch, { ok: true, value: { ...topo, truncated: ['instances (first 10000)'] } });
  assert.equal(cut.complete, false);
  assert.equal(impactVerdict(cut, { otherBackendServices: 1000, beyond: 'approve' }), 'approve');
  // A new health check reaches nothing, whatever the topology.
  const insert = impact(
    {
      kind: 'insertHealthCheck',
      healthCheck: 'lbmedic-hc-web-bs',
      type: 'HTTP',
      checkIntervalSec: 5,
      timeoutSec: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      details: {},
      description: 'lbmedic: copy',
    },
    { kind: 'deleteHealthCheck', healthCheck: 'lbmedic-hc-web-bs' },
    { ok: false, error: 'x' },
  );
  assert.equal(insert.complete, true);
});

/** The fixture's port-moved world, with api-bs sharing web-hc. */
function sharedCheck(): Evidence {
  const ev = evidence(broken({ hcPort: 8081 }));
  assert.ok(ev.topology.ok);
  const api = { name: 'api-bs', portName: 'http', healthCheck: 'web-hc', groups: [] };
  return {
    ...ev,
    topology: {
      ok: true,
      value: { ...ev.topology.value, backendServices: [...ev.topology.value.backendServices, api] },
    },
  };
}

const shipped = shippedPolicies();
/** The shipped policies, the health-check policy patching shared checks in place with this maxImpact. */
function patchShared(maxImpact: object): PolicySet {
  const hc = Policy.parse({
    name: 'hc-in-place',
    priority: 10,
    match: { causes: ['HEALTH_CHECK_MISMATCH'] },
    action: { type: 'patchHealthCheck', whenShared: 'patch' },
    approval: { mode: 'auto' },
    maxImpact,
  });
  return { ...shipped, policies: [...shipped.policies, hc] };
}

test('maxImpact: a step reaching further escalates (nothing applied), asks a person, or goes ahead, as the policy says', () => {
  const ev = sharedCheck();
  const planWith = (set: PolicySet) => buildPlan(ev, classify(ev), set);

  const escalated = planWith(patchShared({}));
  assert.deepEqual(escalated.steps, []);
  assert.deepEqual(
    escalated.escalations.map((e) => [e.policy, e.summary]),
    [['hc-in-place', 'healthCheck/web-hc also affects api-bs (health check web-hc is also used by api-bs)']],
  );
  assert.match(
    escalated.escalations[0]?.humanFix ?? '',
    /lets one change reach 0 other backend service\(s\) \(maxImpact\)/,
  );

  const approve = planWith(patchShared({ beyond: 'approve' }));
  assert.equal(approve.steps.length, 1);
  assert.equal(approve.approval.mode, 'manual');
  assert.ok(approve.notes.some((n) => /^approval is manual: a change reaches further/.test(n)));
  assert.match(renderPlan(approve), /also affects: api-bs \(health check web-hc is also used by api-bs\)/);

  const allowed = planWith(patchShared({ otherBackendServices: 1 }));
  assert.equal(allowed.steps.length, 1);
  assert.equal(allowed.approval.mode, 'auto');
  assert.deepEqual(allowed.escalations, []);
});
