/** Firewall policies with the VPC rules, in GCP's evaluation order (core/firewall-policy.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import type { Evidence, FirewallPolicyFacts, PolicyRuleFacts } from '../../core/evidence';
import type { FirewallRule } from '../../core/firewall';
import { effectiveVerdict } from '../../core/firewall-policy';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { evidence, good, NET } from '../helpers/evidence-fixture';

const VM = { network: NET, tags: ['web'], serviceAccounts: [] };
const ALLOW_VPC: FirewallRule = {
  name: 'fw-allow-health-check',
  network: NET,
  direction: 'INGRESS',
  priority: 1000,
  sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
  targetTags: ['web'],
  allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
};
const rule = (action: string, extra: Partial<PolicyRuleFacts> = {}): PolicyRuleFacts => ({
  priority: 900,
  action,
  direction: 'INGRESS',
  srcIpRanges: ['35.191.0.0/16', '130.211.0.0/22'],
  layer4Configs: [{ ipProtocol: 'tcp', ports: ['8080'] }],
  ...extra,
});
const on = (
  order: string,
  policies: { name: string; type: 'HIERARCHY' | 'NETWORK'; rules: PolicyRuleFacts[] }[],
): FirewallPolicyFacts[] => [{ network: 'default', enforcementOrder: order, policies }];
const AFTER = 'AFTER_CLASSIC_FIREWALL';
const BEFORE = 'BEFORE_CLASSIC_FIREWALL';

test('effective verdict: hierarchy, then VPC rules and the network policy in the enforcement order, then deny', () => {
  const rows: {
    name: string;
    vpc: FirewallRule[];
    policies?: FirewallPolicyFacts[];
    want: [boolean, string];
  }[] = [
    { name: 'no policies: the VPC rule', vpc: [ALLOW_VPC], want: [true, 'fw-allow-health-check'] },
    {
      name: 'nothing matches: implied deny',
      vpc: [],
      policies: on(AFTER, []),
      want: [false, 'implied-deny-ingress'],
    },
    {
      name: 'a hierarchical deny wins over a VPC allow',
      vpc: [ALLOW_VPC],
      policies: on(AFTER, [{ name: 'org-baseline', type: 'HIERARCHY', rules: [rule('deny')] }]),
      want: [false, 'org-baseline priority 900'],
    },
    {
      name: 'a hierarchical goto_next hands on to the VPC rules',
      vpc: [ALLOW_VPC],
      policies: on(AFTER, [{ name: 'org-baseline', type: 'HIERARCHY', rules: [rule('goto_next')] }]),
      want: [true, 'fw-allow-health-check'],
    },
    {
      name: 'AFTER_CLASSIC_FIREWALL: the VPC allow decides before the network policy deny',
      vpc: [ALLOW_VPC],
      policies: on(AFTER, [{ name: 'web-guard', type: 'NETWORK', rules: [rule('deny')] }]),
      want: [true, 'fw-allow-health-check'],
    },
    {
      name: 'BEFORE_CLASSIC_FIREWALL: the network policy deny decides first',
      vpc: [ALLOW_VPC],
      policies: on(BEFORE, [{ name: 'web-guard', type: 'NETWORK', rules: [rule('deny')] }]),
      want: [false, 'web-guard priority 900'],
    },
    {
      name: 'a disabled policy rule does not exist',
      vpc: [ALLOW_VPC],
      policies: on(BEFORE, [
        { name: 'web-guard', type: 'NETWORK', rules: [rule('deny', { disabled: true })] },
      ]),
      want: [true, 'fw-allow-health-check'],
    },
    {
      name: 'a hierarchical rule for another network does not apply',
      vpc: [ALLOW_VPC],
      policies: on(AFTER, [
        {
          name: 'org-baseline',
          type: 'HIERARCHY',
          rules: [rule('deny', { targetResources: ['other-net'] })],
        },
      ]),
      want: [true, 'fw-allow-health-check'],
    },
    {
      name: 'no VPC rule matches: the network policy allow admits',
      vpc: [],
      policies: on(AFTER, [{ name: 'web-guard', type: 'NETWORK', rules: [rule('allow')] }]),
      want: [true, 'web-guard priority 900'],
    },
    {
      name: 'the lowest priority matching rule of a policy decides',
      vpc: [],
      policies: on(AFTER, [
        {
          name: 'web-guard',
          type: 'NETWORK',
          rules: [rule('allow', { priority: 1000 }), rule('deny', { priority: 10 })],
        },
      ]),
      want: [false, 'web-guard priority 10'],
    },
  ];
  for (const r of rows) {
    const v = effectiveVerdict(r.vpc, r.policies, VM, '35.191.0.0/16', 8080);
    assert.deepEqual([v.allowed, v.rule], r.want, r.name);
  }
});

test('a network policy rule that drops the probes: FIREWALL_BLOCKS_PROBES names it, the plan escalates and changes nothing', () => {
  const ev: Evidence = {
    ...evidence({ ...good, healthy: false, logs: { failed_to_pick_backend: 400 } }),
    firewallPolicies: {
      ok: true,
      value: on(BEFORE, [{ name: 'web-guard', type: 'NETWORK', rules: [rule('deny')] }]),
    },
  };
  const d = classify(ev);
  assert.deepEqual(
    d.findings.map((f) => f.cause),
    ['FIREWALL_BLOCKS_PROBES'],
  );
  const fix = d.findings[0]?.fix as { policyRules?: unknown };
  assert.deepEqual(fix.policyRules, [
    { policy: 'web-guard', type: 'NETWORK', priority: 900, action: 'deny' },
  ]);
  const plan = buildPlan(ev, d, shippedPolicies());
  assert.deepEqual(plan.steps, []);
  assert.match(
    plan.escalations[0]?.humanFix ?? '',
    /network firewall policy web-guard rule priority 900 \(deny\) drops 130\.211\.0\.0\/22, 35\.191\.0\.0\/16 to tcp:8080/,
  );
});
