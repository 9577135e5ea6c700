/** The worker's in-VPC probe meets the firewall: a dropped probe is named with its rule and proves nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import { blockedProbes } from '../../core/causes/facts';
import type { Evidence } from '../../core/evidence';
import type { FirewallRule } from '../../core/firewall';
import { factsOf } from '../helpers/causes';
import { broken, evidence, NET } from '../helpers/evidence-fixture';

const WORKER_RULE: FirewallRule = {
  name: 'allow-lbmedic-worker',
  network: NET,
  direction: 'INGRESS',
  priority: 1000,
  sourceRanges: ['10.128.0.2/32'],
  allowed: [{ IPProtocol: 'tcp' }],
};

/** hc-wrong-path as the worker at 10.128.0.2 sees it: every probe of 8080 timed out (dropped). */
function dropped(extraRules: FirewallRule[] = []): Evidence {
  const ev = evidence(broken({ hcPath: '/health' }));
  if (!ev.probe.ok || !ev.firewallRules.ok) throw new Error('fixture');
  const probe = ev.probe.value.map((r) => {
    const { status: _status, error: _error, ...rest } = r;
    return r.port === 8080 ? { ...rest, error: 'timeout', from: '10.128.0.2' } : { ...r, from: '10.128.0.2' };
  });
  return {
    ...ev,
    probe: { ok: true, value: probe },
    firewallRules: { ok: true, value: [...ev.firewallRules.value, ...extraRules] },
  };
}

test('blocked probes: the deciding rule per port, only where the firewall drops the worker', () => {
  const rows: { name: string; ev: Evidence; want: { port: number; rule: string }[] }[] = [
    {
      name: 'no rule admits the worker',
      ev: dropped(),
      want: [{ port: 8080, rule: 'implied-deny-ingress' }],
    },
    { name: 'a rule admits the worker: a timeout is the app', ev: dropped([WORKER_RULE]), want: [] },
    {
      name: 'a deny for the worker wins',
      ev: dropped([
        { ...WORKER_RULE, name: 'deny-worker', priority: 10, allowed: [], denied: [{ IPProtocol: 'tcp' }] },
      ]),
      want: [{ port: 8080, rule: 'deny-worker' }],
    },
    { name: 'no source recorded: nothing judged', ev: evidence(broken({ hcPath: '/health' })), want: [] },
  ];
  for (const r of rows) {
    assert.deepEqual(
      blockedProbes(factsOf(r.ev)).map((b) => ({ port: b.port, rule: b.rule })),
      r.want,
      r.name,
    );
  }
});

test('a dropped probe is no evidence: no health-check finding from it, UNKNOWN with the rule named', () => {
  const d = classify(dropped());
  assert.equal(d.verdict, 'UNKNOWN');
  assert.deepEqual(d.findings, []);
  assert.ok(
    d.notes.some((n) =>
      n.includes(
        'the in-VPC probe from 10.128.0.2 to :8080 is dropped by the firewall (implied-deny-ingress) on web-1, web-2',
      ),
    ),
    JSON.stringify(d.notes),
  );
});
