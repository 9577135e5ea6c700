import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Firewall } from '../../simulator/model';
import { IMPLIED_DENY_INGRESS, evaluateIngress, probeVerdict } from '../../simulator/firewall';
import type { FirewallTarget } from '../../simulator/firewall';

const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/default';
const OTHER_NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/other';
const PROBES = ['35.191.0.0/16', '130.211.0.0/22'];

function rule(name: string, fields: Partial<Firewall>): Firewall {
  return {
    id: '1',
    name,
    network: NET,
    direction: 'INGRESS',
    priority: 1000,
    disabled: false,
    creationTimestamp: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

const allow = (ports?: string[], protocol = 'tcp') => [{ IPProtocol: protocol, ...(ports ? { ports } : {}) }];
const web: FirewallTarget = {
  network: NET,
  tags: ['web'],
  serviceAccounts: ['app@p.iam.gserviceaccount.com'],
  ip: '127.1.1.1',
};

interface Case {
  name: string;
  rules: Firewall[];
  target?: FirewallTarget;
  source?: string;
  protocol?: string;
  port?: number;
  sourceInstance?: { tags: string[]; serviceAccounts: string[] };
  allowed: boolean;
  rule: string;
}

const cases: Case[] = [
  { name: 'no rules: implied deny', rules: [], allowed: false, rule: IMPLIED_DENY_INGRESS },
  {
    name: 'allow by source range',
    rules: [rule('a', { sourceRanges: PROBES, allowed: allow(['8080']) })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'source outside the range',
    rules: [rule('a', { sourceRanges: ['10.0.0.0/8'], allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'no source at all means 0.0.0.0/0',
    rules: [rule('a', { allowed: allow() })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'lower priority number wins (deny 900 over allow 1000)',
    rules: [
      rule('allow', { sourceRanges: PROBES, allowed: allow() }),
      rule('deny', { priority: 900, sourceRanges: PROBES, denied: allow() }),
    ],
    allowed: false,
    rule: 'deny',
  },
  {
    name: 'lower priority number wins (allow 100 over deny 1000)',
    rules: [
      rule('deny', { sourceRanges: PROBES, denied: allow() }),
      rule('allow', { priority: 100, sourceRanges: PROBES, allowed: allow() }),
    ],
    allowed: true,
    rule: 'allow',
  },
  {
    name: 'deny beats allow at equal priority',
    rules: [
      rule('allow', { sourceRanges: PROBES, allowed: allow() }),
      rule('deny', { sourceRanges: PROBES, denied: allow() }),
    ],
    allowed: false,
    rule: 'deny',
  },
  {
    name: 'deny beats allow at equal priority, whatever the order',
    rules: [
      rule('deny', { sourceRanges: PROBES, denied: allow() }),
      rule('allow', { sourceRanges: PROBES, allowed: allow() }),
    ],
    allowed: false,
    rule: 'deny',
  },
  {
    name: 'disabled rule is ignored',
    rules: [rule('a', { disabled: true, allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'disabled deny does not block',
    rules: [rule('a', { allowed: allow() }), rule('d', { priority: 1, disabled: true, denied: allow() })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'target tag matches',
    rules: [rule('a', { targetTags: ['web', 'api'], allowed: allow() })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'target tag does not match',
    rules: [rule('a', { targetTags: ['db'], allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'target service account matches',
    rules: [rule('a', { targetServiceAccounts: ['app@p.iam.gserviceaccount.com'], allowed: allow() })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'target service account does not match',
    rules: [rule('a', { targetServiceAccounts: ['other@p.iam.gserviceaccount.com'], allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'rule on another network',
    rules: [rule('a', { network: OTHER_NET, allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'partial network URL matches the full one',
    rules: [rule('a', { network: 'projects/p/global/networks/default', allowed: allow() })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'egress rule does not admit ingress',
    rules: [rule('a', { direction: 'EGRESS', allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'port range includes the port',
    rules: [rule('a', { allowed: allow(['8000-9000']) })],
    port: 9000,
    allowed: true,
    rule: 'a',
  },
  {
    name: 'port range excludes the port',
    rules: [rule('a', { allowed: allow(['8000-9000']) })],
    port: 9090,
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'one of several ports',
    rules: [rule('a', { allowed: allow(['80', '443', '8080']) })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'other port',
    rules: [rule('a', { allowed: allow(['8080']) })],
    port: 8081,
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'empty ports: every port',
    rules: [rule('a', { allowed: allow([]) })],
    port: 65000,
    allowed: true,
    rule: 'a',
  },
  {
    name: 'protocol all',
    rules: [rule('a', { allowed: allow(undefined, 'all') })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'protocol number 6 is tcp',
    rules: [rule('a', { allowed: allow(['8080'], '6') })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'udp rule does not admit tcp',
    rules: [rule('a', { allowed: allow(undefined, 'udp') })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'source tag admits a tagged VM',
    rules: [rule('a', { sourceTags: ['lb'], allowed: allow() })],
    source: '10.128.0.5',
    sourceInstance: { tags: ['lb'], serviceAccounts: [] },
    allowed: true,
    rule: 'a',
  },
  {
    name: 'source ranges OR source tags: range matches without the tag',
    rules: [rule('a', { sourceRanges: PROBES, sourceTags: ['lb'], allowed: allow() })],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'source tag alone does not admit the probe ranges',
    rules: [rule('a', { sourceTags: ['lb'], allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'destination range excludes the instance',
    rules: [rule('a', { destinationRanges: ['127.9.0.0/16'], allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'allow at 65535 ties with the implied deny and loses',
    rules: [rule('a', { priority: 65535, allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'allow at 65534 beats the implied deny',
    rules: [rule('a', { priority: 65534, allowed: allow() })],
    allowed: true,
    rule: 'a',
  },
];

for (const c of cases) {
  test(`firewall: ${c.name}`, () => {
    const verdict = evaluateIngress(c.rules, c.target ?? web, {
      sourceIp: c.source ?? '35.191.1.2',
      protocol: c.protocol ?? 'tcp',
      port: c.port ?? 8080,
      ...(c.sourceInstance ? { sourceInstance: c.sourceInstance } : {}),
    });
    assert.deepEqual({ allowed: verdict.allowed, rule: verdict.rule }, { allowed: c.allowed, rule: c.rule });
  });
}

const probeCases: { name: string; rules: Firewall[]; port?: number; allowed: boolean; rule: string }[] = [
  {
    name: 'both ranges admitted',
    rules: [rule('hc', { sourceRanges: PROBES, targetTags: ['web'], allowed: allow(['8080']) })],
    allowed: true,
    rule: 'hc',
  },
  {
    name: 'both ranges admitted by two rules',
    rules: [
      rule('a', { sourceRanges: ['35.191.0.0/16'], allowed: allow() }),
      rule('b', { sourceRanges: ['130.211.0.0/22'], allowed: allow() }),
    ],
    allowed: true,
    rule: 'a',
  },
  {
    name: 'only 130.211.0.0/22 admitted',
    rules: [rule('hc', { sourceRanges: ['130.211.0.0/22'], allowed: allow(['8080']) })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'only 35.191.0.0/16 admitted',
    rules: [rule('hc', { sourceRanges: ['35.191.0.0/16'], allowed: allow(['8080']) })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'part of 35.191.0.0/16 admitted',
    rules: [rule('hc', { sourceRanges: ['35.191.0.0/17', '130.211.0.0/22'], allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'internal range only (10.128.0.0/9)',
    rules: [rule('internal', { priority: 65534, sourceRanges: ['10.128.0.0/9'], allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'wrong port',
    rules: [rule('hc', { sourceRanges: PROBES, allowed: allow(['8080']) })],
    port: 9090,
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'a deny of one /24 inside 35.191.0.0/16 (no sample of three addresses would see it)',
    rules: [
      rule('hc', { sourceRanges: PROBES, allowed: allow() }),
      rule('block', { priority: 500, sourceRanges: ['35.191.77.0/24'], denied: allow() }),
    ],
    allowed: false,
    rule: 'block',
  },
  {
    name: 'an IPv6 range never matches the IPv4 probes',
    rules: [rule('v6', { sourceRanges: ['2600:2d00:1:b029::/64', '2600:2d00:1:1::/64'], allowed: allow() })],
    allowed: false,
    rule: IMPLIED_DENY_INGRESS,
  },
  {
    name: 'a higher-priority deny on one range',
    rules: [
      rule('hc', { sourceRanges: PROBES, allowed: allow() }),
      rule('block', { priority: 500, sourceRanges: ['130.211.0.0/22'], denied: allow() }),
    ],
    allowed: false,
    rule: 'block',
  },
];

for (const c of probeCases) {
  test(`probe verdict: ${c.name}`, () => {
    const verdict = probeVerdict(c.rules, web, c.port ?? 8080);
    assert.equal(verdict.allowed, c.allowed);
    assert.equal(verdict.rule, c.rule);
    assert.ok(
      verdict.sources.some((s) => s.range === '35.191.0.0/16') &&
        verdict.sources.some((s) => s.range === '130.211.0.0/22'),
    );
  });
}
