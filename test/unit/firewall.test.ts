import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, ingressVerdict, probeVerdicts, type FirewallRule } from '../../core/firewall';

const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/default';
const vm = {
  network: 'global/networks/default',
  tags: ['web'],
  serviceAccounts: ['app@p.iam.gserviceaccount.com'],
};
const rule = (r: Partial<FirewallRule> & { name: string }): FirewallRule => ({
  network: NET,
  direction: 'INGRESS',
  priority: 1000,
  sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
  allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
  ...r,
});

test('cidr containment', () => {
  assert.equal(cidrContains('35.191.0.0/16', '35.191.0.0/16'), true);
  assert.equal(cidrContains('0.0.0.0/0', '130.211.0.0/22'), true);
  assert.equal(cidrContains('130.211.0.0/24', '130.211.0.0/22'), false);
  assert.equal(cidrContains('35.191.0.0/16', '35.191.7.9'), true);
});

test('GCP firewall semantics, table-style', () => {
  const rows: {
    name: string;
    rules: FirewallRule[];
    port?: number;
    range?: string;
    allowed: boolean;
    by: string;
  }[] = [
    { name: 'no rules: implied deny', rules: [], allowed: false, by: 'implied-deny-ingress' },
    { name: 'allow on the port', rules: [rule({ name: 'a' })], allowed: true, by: 'a' },
    {
      name: 'other port',
      rules: [rule({ name: 'a' })],
      port: 9090,
      allowed: false,
      by: 'implied-deny-ingress',
    },
    {
      name: 'port range',
      rules: [rule({ name: 'a', allowed: [{ IPProtocol: 'tcp', ports: ['8000-9000'] }] })],
      allowed: true,
      by: 'a',
    },
    {
      name: 'empty ports = all',
      rules: [rule({ name: 'a', allowed: [{ IPProtocol: 'tcp' }] })],
      port: 1234,
      allowed: true,
      by: 'a',
    },
    {
      name: 'protocol all',
      rules: [rule({ name: 'a', allowed: [{ IPProtocol: 'all' }] })],
      allowed: true,
      by: 'a',
    },
    {
      name: 'udp only',
      rules: [rule({ name: 'a', allowed: [{ IPProtocol: 'udp', ports: ['8080'] }] })],
      allowed: false,
      by: 'implied-deny-ingress',
    },
    {
      name: 'disabled rule does not exist',
      rules: [rule({ name: 'a', disabled: true })],
      allowed: false,
      by: 'implied-deny-ingress',
    },
    {
      name: 'egress rule ignored',
      rules: [rule({ name: 'a', direction: 'EGRESS' })],
      allowed: false,
      by: 'implied-deny-ingress',
    },
    {
      name: 'other network',
      rules: [rule({ name: 'a', network: 'global/networks/other' })],
      allowed: false,
      by: 'implied-deny-ingress',
    },
    { name: 'target tag matches', rules: [rule({ name: 'a', targetTags: ['web'] })], allowed: true, by: 'a' },
    {
      name: 'target tag misses',
      rules: [rule({ name: 'a', targetTags: ['db'] })],
      allowed: false,
      by: 'implied-deny-ingress',
    },
    {
      name: 'target service account',
      rules: [rule({ name: 'a', targetServiceAccounts: ['app@p.iam.gserviceaccount.com'] })],
      allowed: true,
      by: 'a',
    },
    {
      name: 'other service account',
      rules: [rule({ name: 'a', targetServiceAccounts: ['x@p.iam.gserviceaccount.com'] })],
      allowed: false,
      by: 'implied-deny-ingress',
    },
    {
      name: 'deny wins a tie',
      rules: [
        rule({ name: 'a' }),
        rule({ name: 'd', allowed: undefined, denied: [{ IPProtocol: 'tcp', ports: ['8080'] }] }),
      ],
      allowed: false,
      by: 'd',
    },
    {
      name: 'lower priority number wins over deny',
      rules: [
        rule({ name: 'a', priority: 900 }),
        rule({ name: 'd', allowed: undefined, denied: [{ IPProtocol: 'all' }] }),
      ],
      allowed: true,
      by: 'a',
    },
    {
      name: 'higher-precedence deny of part of the range blocks it',
      rules: [
        rule({ name: 'a' }),
        rule({
          name: 'd',
          priority: 10,
          sourceRanges: ['35.191.3.0/24'],
          allowed: undefined,
          denied: [{ IPProtocol: 'tcp' }],
        }),
      ],
      allowed: false,
      by: 'd',
    },
    {
      name: 'allow of part of the range is not enough',
      rules: [rule({ name: 'a', sourceRanges: ['35.191.0.0/17'] })],
      allowed: false,
      by: 'implied-deny-ingress',
    },
    {
      name: '0.0.0.0/0 covers probes',
      rules: [rule({ name: 'a', sourceRanges: ['0.0.0.0/0'] })],
      allowed: true,
      by: 'a',
    },
    {
      name: 'source tags never match probes',
      rules: [rule({ name: 'a', sourceRanges: [], sourceTags: ['lb'] })],
      allowed: false,
      by: 'implied-deny-ingress',
    },
  ];
  for (const r of rows) {
    const v = ingressVerdict(r.rules, vm, r.range ?? '35.191.0.0/16', r.port ?? 8080);
    assert.deepEqual(v, { allowed: r.allowed, rule: r.by }, r.name);
  }
});

test('probes need both ranges', () => {
  const onlyOne = [rule({ name: 'legacy', sourceRanges: ['130.211.0.0/22'] })];
  const verdicts = probeVerdicts(onlyOne, vm, 8080);
  assert.deepEqual(
    verdicts.map((v) => [v.range, v.verdict.allowed]),
    [
      ['35.191.0.0/16', false],
      ['130.211.0.0/22', true],
    ],
  );
});
