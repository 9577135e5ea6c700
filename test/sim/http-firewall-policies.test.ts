/**
 * Networks and firewall policies through the real @google-cloud/compute client, on the
 * `firewall-policy-blocks-probes` scenario: what getEffectiveFirewalls shows, the policy's rules, and
 * that disabling the blocking rule of the network firewall policy (patchRule) makes the backends
 * HEALTHY again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import compute from '@google-cloud/compute';
import type { Sim } from './http-harness';
import { startSim } from './http-harness';
import { untilDone } from './http-ops';

let sim: Sim;
let networks: InstanceType<typeof compute.NetworksClient>;
let policies: InstanceType<typeof compute.NetworkFirewallPoliciesClient>;
let backendServices: InstanceType<typeof compute.BackendServicesClient>;

before(async () => {
  sim = await startSim('firewall-policy-blocks-probes');
  networks = new compute.NetworksClient(sim.clientOptions);
  policies = new compute.NetworkFirewallPoliciesClient(sim.clientOptions);
  backendServices = new compute.BackendServicesClient(sim.clientOptions);
});

after(async () => {
  await sim.close();
});

const waitDone = (result: unknown) => untilDone(sim, result);

function status(err: unknown): number {
  return Number((err as { code?: unknown }).code);
}

test('networks.get shows the enforcement order and the associated policy', async () => {
  const [network] = await networks.get({ project: sim.project, network: 'default' });
  assert.equal(network.networkFirewallPolicyEnforcementOrder, 'BEFORE_CLASSIC_FIREWALL');
  assert.match(String(network.firewallPolicy), /\/global\/firewallPolicies\/web-guard$/);
  await assert.rejects(networks.get({ project: sim.project, network: 'nope' }), (e) => status(e) === 404);
});

test('getEffectiveFirewalls: VPC rules, then the hierarchical and the network policy with their rules', async () => {
  const [effective] = await networks.getEffectiveFirewalls({ project: sim.project, network: 'default' });
  assert.deepEqual(
    effective.firewalls?.map((f) => f.name),
    ['fw-allow-health-check'],
  );
  const found = effective.firewallPolicys ?? [];
  assert.deepEqual(
    found.map((p) => [p.type, p.shortName ?? p.name]),
    [
      ['HIERARCHY', 'org-baseline'],
      ['NETWORK', 'web-guard'],
    ],
  );
  const guard = found[1]?.rules ?? [];
  const blocking = guard.find((r) => r.priority === 900);
  assert.equal(blocking?.action, 'deny');
  assert.deepEqual(blocking?.match?.srcIpRanges, ['35.191.0.0/16', '130.211.0.0/22']);
  // Every policy carries GCP's four default goto_next rules at the lowest priorities.
  assert.deepEqual(
    guard.filter((r) => r.action === 'goto_next').map((r) => r.priority),
    [2147483644, 2147483645, 2147483646, 2147483647],
  );
  assert.equal(found[0]?.rules?.find((r) => r.priority === 1000)?.action, 'goto_next');
});

test('getRule, and the errors of a missing rule, a duplicate priority and a default rule', async () => {
  const [rule] = await policies.getRule({ project: sim.project, firewallPolicy: 'web-guard', priority: 900 });
  assert.equal(rule.ruleName, 'block-google-ranges');
  await assert.rejects(
    policies.getRule({ project: sim.project, firewallPolicy: 'web-guard', priority: 901 }),
    (e) => status(e) === 400,
  );
  await assert.rejects(
    policies.addRule({
      project: sim.project,
      firewallPolicy: 'web-guard',
      firewallPolicyRuleResource: {
        priority: 900,
        action: 'allow',
        direction: 'INGRESS',
        match: { srcIpRanges: ['192.0.2.0/24'], layer4Configs: [{ ipProtocol: 'tcp' }] },
      },
    }),
    (e) => status(e) === 400,
  );
  await assert.rejects(
    policies.removeRule({ project: sim.project, firewallPolicy: 'web-guard', priority: 2147483647 }),
    (e) => status(e) === 400,
  );
});

test('disabling the blocking policy rule (patchRule) lets the probes in: the backends turn HEALTHY', async () => {
  const health = async () => {
    const [h] = await backendServices.getHealth({
      project: sim.project,
      backendService: 'web-bs',
      resourceGroupReferenceResource: { group: 'zones/us-central1-a/instanceGroups/web-ig' },
    });
    return (h.healthStatus ?? []).map((s) => s.healthState);
  };
  assert.deepEqual(await health(), ['UNHEALTHY', 'UNHEALTHY', 'UNHEALTHY']);
  const [before] = await policies.get({ project: sim.project, firewallPolicy: 'web-guard' });
  const done = await waitDone(
    await policies.patchRule({
      project: sim.project,
      firewallPolicy: 'web-guard',
      priority: 900,
      firewallPolicyRuleResource: { disabled: true },
    }),
  );
  assert.equal(done.operationType, 'patchFirewallRuleInFirewallPolicy');
  assert.equal(done.error ?? undefined, undefined);
  const [after] = await policies.get({ project: sim.project, firewallPolicy: 'web-guard' });
  assert.notEqual(after.fingerprint, before.fingerprint);
  const rule = after.rules?.find((r) => r.priority === 900);
  assert.equal(rule?.disabled, true);
  assert.equal(rule?.action, 'deny', 'a patch changes only the fields it names');
  const deadline = Date.now() + 20_000;
  while ((await health()).some((s) => s !== 'HEALTHY')) {
    assert.ok(Date.now() < deadline, 'backends never turned HEALTHY');
    await new Promise((r) => setTimeout(r, 50));
  }
});
