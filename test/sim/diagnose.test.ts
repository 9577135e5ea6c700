/**
 * Diagnosis end to end: for every shipped scenario, the evidence activities read the simulator
 * through the real clients, and the classifier names the right cause(s) with evidence. Also: a
 * failing evidence source yields a partial diagnosis that says so.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CAUSES } from '../../core/causes';
import type { RootCause } from '../../core/causes';
import { renderDiagnosis } from '../../core/report';
import { control, diagnose, startSim } from '../helpers/sim';

const table: {
  scenario: string;
  backendService?: string;
  region?: string;
  verdict: string;
  causes: RootCause[];
}[] = [
  { scenario: 'healthy', verdict: 'NO_FAULT', causes: [] },
  { scenario: 'hc-wrong-port', verdict: 'FAULTS_FOUND', causes: ['HEALTH_CHECK_MISMATCH'] },
  { scenario: 'hc-wrong-path', verdict: 'FAULTS_FOUND', causes: ['HEALTH_CHECK_MISMATCH'] },
  { scenario: 'firewall-missing', verdict: 'FAULTS_FOUND', causes: ['FIREWALL_BLOCKS_PROBES'] },
  { scenario: 'named-port-mismatch', verdict: 'FAULTS_FOUND', causes: ['NAMED_PORT_MISMATCH'] },
  // HEALTHY behind a fixed-port check, failed_to_connect_to_backend on the named port (zonal, regional MIG).
  { scenario: 'named-port-wrong', verdict: 'FAULTS_FOUND', causes: ['NAMED_PORT_MISMATCH'] },
  { scenario: 'regional-mig', verdict: 'FAULTS_FOUND', causes: ['NAMED_PORT_MISMATCH'] },
  // A network firewall policy rule (evaluated before the VPC rules) drops the probes.
  { scenario: 'firewall-policy-blocks-probes', verdict: 'FAULTS_FOUND', causes: ['FIREWALL_BLOCKS_PROBES'] },
  // HTTPS backends with a self-signed certificate: the probe speaks TLS without verifying it.
  {
    scenario: 'https-wrong-path',
    backendService: 'secure-bs',
    verdict: 'FAULTS_FOUND',
    causes: ['HEALTH_CHECK_MISMATCH'],
  },
  // The worker's probe is dropped: what the app serves is unknown, and nothing is concluded from it.
  { scenario: 'probe-blocked', verdict: 'UNKNOWN', causes: [] },
  {
    scenario: 'ilb-wrong-path',
    backendService: 'orders-bs',
    region: 'us-central1',
    verdict: 'FAULTS_FOUND',
    causes: ['HEALTH_CHECK_MISMATCH'],
  },
  { scenario: 'backend-timeout', verdict: 'FAULTS_FOUND', causes: ['BACKEND_TIMEOUT'] },
  { scenario: 'keepalive-mismatch', verdict: 'FAULTS_FOUND', causes: ['KEEPALIVE_TOO_SHORT'] },
  { scenario: 'neg-empty', backendService: 'api-bs', verdict: 'FAULTS_FOUND', causes: ['NEG_MISCONFIGURED'] },
  { scenario: 'neg-empty', backendService: 'web-bs', verdict: 'NO_FAULT', causes: [] },
  // Every serverless NEG has size 0: a healthy one is no finding.
  { scenario: 'neg-serverless', backendService: 'api-bs', verdict: 'NO_FAULT', causes: [] },
  // Container-native NEG: the endpoints' port (8080) is closed to the probes (the rule says tcp:80).
  {
    scenario: 'neg-zonal',
    backendService: 'shop-bs',
    verdict: 'FAULTS_FOUND',
    causes: ['FIREWALL_BLOCKS_PROBES'],
  },
  {
    scenario: 'neg-hybrid',
    backendService: 'legacy-bs',
    verdict: 'FAULTS_FOUND',
    causes: ['EXTERNAL_BACKEND_DOWN'],
  },
  {
    scenario: 'neg-internet',
    backendService: 'origin-bs',
    verdict: 'FAULTS_FOUND',
    causes: ['EXTERNAL_BACKEND_DOWN'],
  },
  {
    scenario: 'port-moved',
    verdict: 'FAULTS_FOUND',
    causes: ['FIREWALL_BLOCKS_PROBES', 'HEALTH_CHECK_MISMATCH', 'NAMED_PORT_MISMATCH'],
  },
  {
    scenario: 'shared-resources',
    verdict: 'FAULTS_FOUND',
    causes: ['FIREWALL_BLOCKS_PROBES', 'HEALTH_CHECK_MISMATCH', 'NAMED_PORT_MISMATCH'],
  },
  { scenario: 'shared-resources', backendService: 'api-bs', verdict: 'NO_FAULT', causes: [] },
];

test('every scenario a root cause names is in this table, diagnosed as that cause', () => {
  for (const cause of CAUSES) {
    for (const scenario of cause.scenarios) {
      assert.ok(
        table.some((r) => r.scenario === scenario && r.causes.includes(cause.id)),
        `${cause.id} names scenario ${scenario}`,
      );
    }
  }
});

for (const row of table) {
  const bs = row.backendService ?? 'web-bs';
  test(`diagnose ${row.scenario} ${bs}: ${row.causes.join(' + ') || row.verdict}`, async () => {
    const sim = await startSim(row.scenario);
    try {
      const { evidence, diagnosis } = await diagnose(sim, bs, row.region);
      assert.deepEqual(diagnosis.unavailable, [], 'every source was read');
      assert.equal(diagnosis.verdict, row.verdict, JSON.stringify(diagnosis.notes));
      assert.deepEqual(diagnosis.findings.map((f) => f.cause).sort(), [...row.causes].sort());
      for (const f of diagnosis.findings) assert.ok(f.evidence.length >= 2, `${f.cause} cites its evidence`);
      const report = renderDiagnosis(evidence, diagnosis);
      assert.match(report, new RegExp(`Conclusion: ${row.verdict}`));
      for (const c of row.causes) assert.match(report, new RegExp(c));
    } finally {
      await sim.stop();
    }
  });
}

test('port-moved: the fix facts point at 9090 and the evidence shows why', async () => {
  const sim = await startSim('port-moved');
  try {
    const { evidence, diagnosis } = await diagnose(sim, 'web-bs');
    assert.ok(evidence.logs.ok && (evidence.logs.value.byStatusDetails.failed_to_pick_backend ?? 0) > 0);
    assert.ok(evidence.health.ok && evidence.health.value.every((h) => h.healthState === 'UNHEALTHY'));
    assert.deepEqual(diagnosis.serving, { port: 9090, path: '/healthz' });
    const fixes = Object.fromEntries(diagnosis.findings.map((f) => [f.cause, f.fix]));
    assert.equal((fixes.HEALTH_CHECK_MISMATCH as { port?: number }).port, 9090);
    assert.equal((fixes.NAMED_PORT_MISMATCH as { port?: number }).port, 9090);
    assert.equal((fixes.FIREWALL_BLOCKS_PROBES as { port?: number }).port, 9090);
    assert.deepEqual((fixes.FIREWALL_BLOCKS_PROBES as { targetTags?: string[] }).targetTags, ['web']);
  } finally {
    await sim.stop();
  }
});

test('backend-timeout: the LB saw requests cut off at the timeout, so the latency is a lower bound', async () => {
  const sim = await startSim('backend-timeout');
  try {
    const { diagnosis } = await diagnose(sim, 'web-bs');
    const fix = diagnosis.findings[0]?.fix;
    assert.ok(fix?.cause === 'BACKEND_TIMEOUT', JSON.stringify(fix));
    assert.ok((fix.observedLatencyMs ?? 0) >= 30_000, JSON.stringify(fix));
    assert.equal(fix.latencyCensored, true);
  } finally {
    await sim.stop();
  }
});

test('a 503 storm on Logging and a 403 on firewalls: partial diagnosis that says so, no wrong answer', async () => {
  const sim = await startSim('port-moved', { clients: { initialBackoffMs: 5, maxAttempts: 3 } });
  try {
    await control(sim, 'POST', 'faults', { status: 503, count: 0, match: { service: 'logging' } });
    await control(sim, 'POST', 'faults', { status: 403, count: 0, match: { path: '/global/firewalls$' } });
    const { diagnosis } = await diagnose(sim, 'web-bs');
    assert.deepEqual(diagnosis.unavailable.map((u) => u.source).sort(), ['firewallRules', 'logs']);
    assert.match(
      diagnosis.unavailable.find((u) => u.source === 'firewallRules')?.error ?? '',
      /403|denied|forbidden/i,
    );
    // What can still be proven is; the firewall is neither blamed nor cleared.
    assert.deepEqual(diagnosis.findings.map((f) => f.cause).sort(), [
      'HEALTH_CHECK_MISMATCH',
      'NAMED_PORT_MISMATCH',
    ]);
    assert.ok(diagnosis.notes.some((n) => /firewall rules could not be read/.test(n)));
  } finally {
    await sim.stop();
  }
});

test('the backend service itself unreadable: UNKNOWN, every other source marked not read', async () => {
  const sim = await startSim('healthy', { clients: { initialBackoffMs: 5, maxAttempts: 2 } });
  try {
    await control(sim, 'POST', 'faults', {
      status: 503,
      count: 0,
      match: { path: 'backendServices/web-bs$' },
    });
    const { diagnosis } = await diagnose(sim, 'web-bs');
    assert.equal(diagnosis.verdict, 'UNKNOWN');
    assert.equal(diagnosis.findings.length, 0);
    assert.equal(diagnosis.unavailable.length, 11);
  } finally {
    await sim.stop();
  }
});

/** Every topology of healthy-topologies.yaml, in its healthy form: NO_FAULT, nothing found, every source read. */
const HEALTHY_MATRIX: { backendService: string; region?: string }[] = [
  { backendService: 'web-bs' }, // global external ALB → regional MIG
  { backendService: 'orders-bs', region: 'us-central1' }, // internal ALB
  { backendService: 'east-bs', region: 'us-east1' }, // regional external ALB
  { backendService: 'shop-bs' }, // zonal GCE_VM_IP_PORT NEG
  { backendService: 'api-bs' }, // serverless NEG
  { backendService: 'secure-bs' }, // HTTPS backends
  { backendService: 'h2-bs' }, // HTTP/2 backends
  { backendService: 'legacy-bs' }, // hybrid NEG
  { backendService: 'origin-bs' }, // internet NEG
];

test('healthy matrix: every topology in its healthy form diagnoses NO_FAULT with no findings', async () => {
  const sim = await startSim('healthy-topologies');
  try {
    for (const { backendService, region } of HEALTHY_MATRIX) {
      const { diagnosis } = await diagnose(sim, backendService, region);
      const what = `${backendService}: ${JSON.stringify(diagnosis.notes)}`;
      assert.deepEqual(diagnosis.unavailable, [], what);
      assert.equal(diagnosis.verdict, 'NO_FAULT', what);
      assert.deepEqual(diagnosis.findings, [], what);
    }
  } finally {
    await sim.stop();
  }
});

test('https-wrong-path: the TLS probe finds /healthz on 8443; probe-blocked: the dropped probe names its rule', async () => {
  const https = await startSim('https-wrong-path');
  try {
    const { evidence, diagnosis } = await diagnose(https, 'secure-bs');
    assert.ok(
      evidence.probe.ok && evidence.probe.value.some((r) => r.scheme === 'https' && r.status === 200),
    );
    assert.deepEqual(diagnosis.serving, { port: 8443, path: '/healthz' });
    assert.deepEqual(diagnosis.findings[0]?.fix, {
      cause: 'HEALTH_CHECK_MISMATCH',
      healthCheck: 'secure-hc',
      requestPath: '/healthz',
    });
  } finally {
    await https.stop();
  }
  const blocked = await startSim('probe-blocked');
  try {
    const { diagnosis } = await diagnose(blocked, 'web-bs');
    assert.ok(
      diagnosis.notes.some((n) =>
        /in-VPC probe from 10\.128\.0\.2 to :8080 is dropped by the firewall \(implied-deny-ingress\)/.test(
          n,
        ),
      ),
      JSON.stringify(diagnosis.notes),
    );
    assert.ok(diagnosis.notes.some((n) => /not proven down/.test(n)));
  } finally {
    await blocked.stop();
  }
});
