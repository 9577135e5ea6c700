import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RootCause } from '../../core/causes';
import { classify } from '../../core/classify';
import { broken, evidence, good, NET, type World } from '../helpers/evidence-fixture';

test('classification, table-style: each root cause, combinations and no fault', () => {
  const rows: { name: string; world: World; verdict: string; causes: RootCause[] }[] = [
    { name: 'healthy', world: good, verdict: 'NO_FAULT', causes: [] },
    {
      name: 'hc wrong port',
      world: broken({ hcPort: 8081 }),
      verdict: 'FAULTS_FOUND',
      causes: ['HEALTH_CHECK_MISMATCH'],
    },
    {
      name: 'hc wrong path',
      world: broken({ hcPath: '/health' }),
      verdict: 'FAULTS_FOUND',
      causes: ['HEALTH_CHECK_MISMATCH'],
    },
    {
      name: 'firewall missing',
      world: broken({ firewallPort: undefined }),
      verdict: 'FAULTS_FOUND',
      causes: ['FIREWALL_BLOCKS_PROBES'],
    },
    {
      name: 'named port mismatch, hc follows serving port',
      world: broken({ namedPort: 8081, hcPort: 8081, portSpecification: 'USE_SERVING_PORT' }),
      verdict: 'FAULTS_FOUND',
      causes: ['NAMED_PORT_MISMATCH'],
    },
    {
      name: 'port moved: all three',
      world: broken({ appPort: 9090 }),
      verdict: 'FAULTS_FOUND',
      causes: ['HEALTH_CHECK_MISMATCH', 'NAMED_PORT_MISMATCH', 'FIREWALL_BLOCKS_PROBES'],
    },
    {
      name: 'firewall missing and wrong hc port',
      world: broken({ hcPort: 8081, firewallPort: undefined }),
      verdict: 'FAULTS_FOUND',
      causes: ['HEALTH_CHECK_MISMATCH', 'FIREWALL_BLOCKS_PROBES'],
    },
    {
      name: 'backend timeout',
      world: { ...good, logs: { response_sent_by_backend: 450, backend_timeout: 50 }, latencyMaxMs: 45_000 },
      verdict: 'FAULTS_FOUND',
      causes: ['BACKEND_TIMEOUT'],
    },
    {
      name: 'keepalive',
      world: {
        ...good,
        logs: { response_sent_by_backend: 490, backend_connection_closed_before_data_sent_to_client: 10 },
      },
      verdict: 'FAULTS_FOUND',
      causes: ['KEEPALIVE_TOO_SHORT'],
    },
    {
      name: 'unhealthy, config agrees with the app: unknown, not a guess',
      world: broken({}),
      verdict: 'UNKNOWN',
      causes: [],
    },
    {
      name: 'app down everywhere: no serving port, no guess about ports',
      world: broken({ appDown: true }),
      verdict: 'UNKNOWN',
      causes: [],
    },
  ];
  for (const r of rows) {
    const d = classify(evidence(r.world));
    assert.equal(d.verdict, r.verdict, `${r.name}: ${JSON.stringify(d.notes)}`);
    assert.deepEqual(d.findings.map((f) => f.cause).sort(), [...r.causes].sort(), r.name);
    for (const f of d.findings) assert.ok(f.evidence.length > 0, `${r.name}: ${f.cause} cites evidence`);
  }
});

test('port-moved: the fix facts move everything to the port the app serves', () => {
  const d = classify(evidence(broken({ appPort: 9090 })));
  const fixes = Object.fromEntries(d.findings.map((f) => [f.cause, f.fix]));
  assert.deepEqual(fixes.HEALTH_CHECK_MISMATCH, {
    cause: 'HEALTH_CHECK_MISMATCH',
    healthCheck: 'web-hc',
    port: 9090,
  });
  assert.deepEqual(fixes.NAMED_PORT_MISMATCH, {
    cause: 'NAMED_PORT_MISMATCH',
    portName: 'http',
    port: 9090,
    groups: [{ name: 'web-ig', zone: 'z1' }],
  });
  assert.deepEqual(fixes.FIREWALL_BLOCKS_PROBES, {
    cause: 'FIREWALL_BLOCKS_PROBES',
    network: NET,
    port: 9090,
    targetTags: ['web'],
    blockedRanges: ['130.211.0.0/22', '35.191.0.0/16'],
    blockingRules: [],
    instances: ['web-1', 'web-2'].map((name) => ({ name, zone: 'z1', tags: ['web'], serviceAccounts: [] })),
  });
  assert.deepEqual(d.serving, { port: 9090, path: '/healthz' });
});

test('partial evidence: what could not be seen is said, and no confident wrong answer', () => {
  const w = broken({ appPort: 9090 });
  const noProbe = classify(evidence(w, { probe: { ok: false, error: 'timeout' } }));
  // Without the probe nobody knows the app's port, and the config agrees with itself: no guess.
  assert.equal(noProbe.verdict, 'UNKNOWN');
  assert.deepEqual(noProbe.findings, []);
  assert.ok(noProbe.notes.some((n) => n.includes('in-VPC probe could not run')));
  assert.deepEqual(
    noProbe.unavailable.map((u) => u.source),
    ['probe'],
  );
  // Probes that all timed out are not an app that is down.
  const base = evidence(w);
  const slow = classify({
    ...base,
    probe: base.probe.ok
      ? { ok: true, value: base.probe.value.map(({ status: _s, ...r }) => ({ ...r, error: 'timeout' })) }
      : base.probe,
  });
  assert.equal(slow.verdict, 'UNKNOWN');
  assert.ok(
    slow.notes.some((n) => /every in-VPC probe \(\d+\) timed out/.test(n)),
    slow.notes.join('; '),
  );
  assert.ok(!slow.notes.some((n) => n.includes('the app may be down')));
  const down = classify(evidence(broken({ appDown: true })));
  assert.ok(down.notes.some((n) => n.includes('the app may be down')));
  // A missing firewall rule is provable from the rules alone.
  const noProbeNoRule = classify(
    evidence(broken({ firewallPort: undefined }), { probe: { ok: false, error: 'timeout' } }),
  );
  assert.deepEqual(
    noProbeNoRule.findings.map((f) => f.cause),
    ['FIREWALL_BLOCKS_PROBES'],
  );

  const noFirewall = classify(evidence(w, { firewallRules: { ok: false, error: '403 forbidden' } }));
  assert.deepEqual(noFirewall.findings.map((f) => f.cause).sort(), [
    'HEALTH_CHECK_MISMATCH',
    'NAMED_PORT_MISMATCH',
  ]);
  assert.ok(noFirewall.notes.some((n) => n.includes('firewall rules could not be read')));

  const noBackend = classify(evidence(good, { backend: { ok: false, error: '503' } }));
  assert.equal(noBackend.verdict, 'UNKNOWN');

  const blind = classify(
    evidence(good, { health: { ok: false, error: '503' }, logs: { ok: false, error: '503' } }),
  );
  assert.equal(blind.verdict, 'UNKNOWN', 'no health and no logs: cannot say there is no fault');
});
