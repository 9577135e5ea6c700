/**
 * The order in which GCP evaluates hierarchical firewall policies, VPC firewall rules, the network's
 * firewall policy and the implied rules, with `goto_next` and the network's enforcement order
 * (https://cloud.google.com/firewall/docs/firewall-policies-rule-eval-order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FirewallContext, FirewallTarget } from '../../simulator/firewall';
import { IMPLIED_DENY_INGRESS, evaluateIngress, probeVerdict } from '../../simulator/firewall';
import type { EnforcementOrder, FirewallPolicy, PolicyRule } from '../../simulator/firewall-policy';
import { defaultPolicyRules } from '../../simulator/firewall-policy';
import type { Firewall } from '../../simulator/model';

const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/default';
const OTHER_NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/other';
const PROBES = ['35.191.0.0/16', '130.211.0.0/22'];
const web: FirewallTarget = {
  network: NET,
  tags: ['web'],
  serviceAccounts: ['web@p.iam.gserviceaccount.com'],
  ip: '127.1.1.1',
};

const vpcAllow: Firewall = {
  id: '1',
  name: 'allow-probes',
  network: NET,
  direction: 'INGRESS',
  priority: 1000,
  sourceRanges: PROBES,
  allowed: [{ IPProtocol: 'tcp' }],
  disabled: false,
  creationTimestamp: '2026-01-01T00:00:00.000Z',
};
const vpcDeny: Firewall = {
  ...vpcAllow,
  name: 'deny-probes',
  allowed: undefined,
  denied: [{ IPProtocol: 'tcp' }],
};

function prule(priority: number, action: PolicyRule['action'], fields: Partial<PolicyRule> = {}): PolicyRule {
  return {
    priority,
    action,
    direction: 'INGRESS',
    description: '',
    disabled: false,
    enableLogging: false,
    match: { srcIpRanges: PROBES, layer4Configs: [{ ipProtocol: 'tcp' }] },
    ...fields,
  };
}

function policy(name: string, rules: PolicyRule[], attachedTo = NET, shortName?: string): FirewallPolicy {
  return {
    id: name,
    name,
    ...(shortName ? { shortName } : {}),
    description: '',
    associations: [{ name: `${name}-assoc`, attachmentTarget: attachedTo }],
    rules: [...rules, ...defaultPolicyRules()],
    fingerprint: 'x',
    creationTimestamp: '2026-01-01T00:00:00.000Z',
  };
}

function context(
  parts: { vpc?: Firewall[]; network?: FirewallPolicy[]; hierarchy?: FirewallPolicy[] },
  order: EnforcementOrder = 'AFTER_CLASSIC_FIREWALL',
): FirewallContext {
  return {
    firewalls: parts.vpc ?? [],
    networks: new Map([
      [
        'default',
        {
          id: '1',
          name: 'default',
          autoCreateSubnetworks: true,
          networkFirewallPolicyEnforcementOrder: order,
          creationTimestamp: '2026-01-01T00:00:00.000Z',
        },
      ],
    ]),
    networkPolicies: parts.network ?? [],
    hierarchical: parts.hierarchy ?? [],
  };
}

const probe = { sourceIp: '35.191.1.2', protocol: 'tcp', port: 8080 };

const cases: {
  name: string;
  ctx: FirewallContext;
  allowed: boolean;
  rule: string;
  layer: string;
}[] = [
  {
    name: 'AFTER_CLASSIC_FIREWALL: the VPC allow decides before the network policy deny',
    ctx: context({ vpc: [vpcAllow], network: [policy('guard', [prule(10, 'deny')])] }),
    allowed: true,
    rule: 'allow-probes',
    layer: 'vpc',
  },
  {
    name: 'BEFORE_CLASSIC_FIREWALL: the network policy deny decides before the VPC allow',
    ctx: context(
      { vpc: [vpcAllow], network: [policy('guard', [prule(10, 'deny')])] },
      'BEFORE_CLASSIC_FIREWALL',
    ),
    allowed: false,
    rule: 'guard priority 10',
    layer: 'network-policy',
  },
  {
    name: 'no VPC rule matches: the network policy after them decides',
    ctx: context({ network: [policy('guard', [prule(10, 'allow')])] }),
    allowed: true,
    rule: 'guard priority 10',
    layer: 'network-policy',
  },
  {
    name: 'goto_next in the network policy hands over to the VPC rules',
    ctx: context(
      { vpc: [vpcDeny], network: [policy('guard', [prule(10, 'goto_next'), prule(20, 'allow')])] },
      'BEFORE_CLASSIC_FIREWALL',
    ),
    allowed: false,
    rule: 'deny-probes',
    layer: 'vpc',
  },
  {
    name: 'a policy with only its default rules passes everything on (implied deny)',
    ctx: context({ network: [policy('empty', [])] }),
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
    layer: 'implied',
  },
  {
    name: 'a hierarchical deny beats a VPC allow and a network policy allow',
    ctx: context({
      vpc: [vpcAllow],
      network: [policy('guard', [prule(1, 'allow')])],
      hierarchy: [policy('1001', [prule(5000, 'deny')], 'organizations/1', 'org')],
    }),
    allowed: false,
    rule: 'org priority 5000',
    layer: 'hierarchical',
  },
  {
    name: 'a hierarchical allow admits what the VPC rules deny',
    ctx: context({
      vpc: [vpcDeny],
      hierarchy: [policy('1001', [prule(5000, 'allow')], 'organizations/1', 'org')],
    }),
    allowed: true,
    rule: 'org priority 5000',
    layer: 'hierarchical',
  },
  {
    name: "the organization's goto_next hands over to the folder's policy",
    ctx: context({
      vpc: [vpcAllow],
      hierarchy: [
        policy('1001', [prule(100, 'goto_next')], 'organizations/1', 'org'),
        policy('2002', [prule(100, 'deny')], 'folders/2', 'folder'),
      ],
    }),
    allowed: false,
    rule: 'folder priority 100',
    layer: 'hierarchical',
  },
  {
    name: 'in a policy the lowest priority number decides, whatever the listing order',
    ctx: context({ network: [policy('guard', [prule(900, 'deny'), prule(100, 'allow')])] }),
    allowed: true,
    rule: 'guard priority 100',
    layer: 'network-policy',
  },
  {
    name: 'a disabled policy rule does not exist',
    ctx: context(
      { vpc: [vpcAllow], network: [policy('guard', [prule(10, 'deny', { disabled: true })])] },
      'BEFORE_CLASSIC_FIREWALL',
    ),
    allowed: true,
    rule: 'allow-probes',
    layer: 'vpc',
  },
  {
    name: 'a network policy associated with another network does not apply',
    ctx: context(
      { vpc: [vpcAllow], network: [policy('guard', [prule(10, 'deny')], OTHER_NET)] },
      'BEFORE_CLASSIC_FIREWALL',
    ),
    allowed: true,
    rule: 'allow-probes',
    layer: 'vpc',
  },
  {
    name: 'a hierarchical rule whose targetResources name another network does not apply',
    ctx: context({
      vpc: [vpcAllow],
      hierarchy: [
        policy('1001', [prule(10, 'deny', { targetResources: [OTHER_NET] })], 'organizations/1', 'org'),
      ],
    }),
    allowed: true,
    rule: 'allow-probes',
    layer: 'vpc',
  },
  {
    name: "a rule for other service accounts does not apply; one for the instance's does",
    ctx: context(
      {
        network: [
          policy('guard', [
            prule(10, 'deny', { targetServiceAccounts: ['db@p.iam.gserviceaccount.com'] }),
            prule(20, 'deny', { targetServiceAccounts: ['web@p.iam.gserviceaccount.com'] }),
          ]),
        ],
        vpc: [vpcAllow],
      },
      'BEFORE_CLASSIC_FIREWALL',
    ),
    allowed: false,
    rule: 'guard priority 20',
    layer: 'network-policy',
  },
  {
    name: 'a rule for another port does not match',
    ctx: context(
      {
        vpc: [vpcAllow],
        network: [
          policy('guard', [
            prule(10, 'deny', {
              match: { srcIpRanges: PROBES, layer4Configs: [{ ipProtocol: 'tcp', ports: ['9090'] }] },
            }),
          ]),
        ],
      },
      'BEFORE_CLASSIC_FIREWALL',
    ),
    allowed: true,
    rule: 'allow-probes',
    layer: 'vpc',
  },
];

for (const c of cases) {
  test(`firewall policies: ${c.name}`, () => {
    const verdict = evaluateIngress(c.ctx, web, probe);
    assert.deepEqual(
      { allowed: verdict.allowed, rule: verdict.rule, layer: verdict.layer },
      { allowed: c.allowed, rule: c.rule, layer: c.layer },
    );
  });
}

test('a policy rule that denies one /24 of the probe ranges blocks the probes', () => {
  const ctx = context(
    {
      vpc: [vpcAllow],
      network: [
        policy('guard', [
          prule(10, 'deny', {
            match: { srcIpRanges: ['35.191.200.0/24'], layer4Configs: [{ ipProtocol: 'tcp' }] },
          }),
        ]),
      ],
    },
    'BEFORE_CLASSIC_FIREWALL',
  );
  const verdict = probeVerdict(ctx, web, 8080);
  assert.equal(verdict.allowed, false);
  assert.equal(verdict.rule, 'guard priority 10');
  const dropped = verdict.sources.filter((s) => !s.allowed);
  assert.deepEqual(
    dropped.map((s) => s.sourceIp),
    ['35.191.200.0'],
  );
  assert.equal(verdict.sources.find((s) => s.sourceIp === '35.191.201.0')?.allowed, true);
});
