/** Why each candidate rule does not admit the probes; a disabled one that would is enabled, not copied. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import { candidateReasons } from '../../core/causes/firewall-candidates';
import type { Evidence, InstanceFacts } from '../../core/evidence';
import type { FirewallRule } from '../../core/firewall';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { broken, evidence, NET } from '../helpers/evidence-fixture';

const VM: InstanceFacts = {
  name: 'web-1',
  group: 'web-ig',
  zone: 'z1',
  networkIP: '10.0.0.2',
  network: NET,
  tags: ['web'],
  serviceAccounts: [],
  status: 'RUNNING',
};
const PROBE: FirewallRule = {
  name: 'allow-hc',
  network: NET,
  direction: 'INGRESS',
  priority: 1000,
  sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
  targetTags: ['web'],
  allowed: [{ IPProtocol: 'tcp', ports: ['8080'] }],
};

test('candidate rules: the reason each does not admit the probes', () => {
  const rows: { name: string; rules: FirewallRule[]; want: string[]; disabled?: string[] }[] = [
    {
      name: 'disabled',
      rules: [{ ...PROBE, disabled: true }],
      want: ['allow-hc: disabled'],
      disabled: ['allow-hc'],
    },
    {
      name: 'target tags miss the instances',
      rules: [{ ...PROBE, targetTags: ['api', 'db'] }],
      want: ['allow-hc: targets tags api,db; the instances have web'],
    },
    {
      name: 'a probe range missing',
      rules: [{ ...PROBE, sourceRanges: ['130.211.0.0/22'] }],
      want: ['allow-hc: lacks source range 35.191.0.0/16'],
    },
    {
      name: 'another port',
      rules: [{ ...PROBE, allowed: [{ IPProtocol: 'tcp', ports: ['80', '443'] }] }],
      want: ['allow-hc: allows tcp:80,443, not tcp:8080'],
    },
    {
      name: 'shadowed by a deny of higher priority',
      rules: [
        PROBE,
        { ...PROBE, name: 'deny-all', priority: 100, allowed: [], denied: [{ IPProtocol: 'tcp' }] },
      ],
      want: ['allow-hc: shadowed by deny-all'],
    },
    {
      name: 'disabled and on another port: enabling it would not do',
      rules: [{ ...PROBE, disabled: true, allowed: [{ IPProtocol: 'tcp', ports: ['80'] }] }],
      want: ['allow-hc: disabled; allows tcp:80, not tcp:8080'],
    },
  ];
  for (const r of rows) {
    const { candidates, disabledAdmitting } = candidateReasons(r.rules, undefined, [VM], 8080);
    assert.deepEqual(
      candidates.map((c) => `${c.rule}: ${c.reason}`),
      r.want,
      r.name,
    );
    assert.deepEqual(disabledAdmitting, r.disabled ?? [], r.name);
  }
});

test('a disabled probe rule: named in the evidence, the plan asks to enable it and inserts nothing', () => {
  const base = evidence(broken({ hcPort: 8080, hcPath: '/healthz' }));
  assert.ok(base.firewallRules.ok);
  const ev: Evidence = {
    ...base,
    firewallRules: { ok: true, value: base.firewallRules.value.map((r) => ({ ...r, disabled: true })) },
  };
  const d = classify(ev);
  const f = d.findings.find((x) => x.cause === 'FIREWALL_BLOCKS_PROBES');
  assert.ok(f, JSON.stringify(d));
  assert.ok(f.evidence.includes('rule allow-hc does not admit them: disabled'), JSON.stringify(f.evidence));
  const plan = buildPlan(ev, d, shippedPolicies());
  assert.deepEqual(
    plan.steps.filter((s) => s.apply.kind === 'insertFirewall'),
    [],
  );
  assert.match(
    plan.escalations[0]?.humanFix ?? '',
    /enable firewall rule allow-hc: it would admit the probes/,
  );
});
