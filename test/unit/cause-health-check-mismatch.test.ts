import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import { RaiseBackendTimeout } from '../../core/causes/backend-timeout';
import {
  type HealthCheckFix,
  healthCheckMismatch,
  PatchHealthCheck,
} from '../../core/causes/health-check-mismatch';
import type { Evidence } from '../../core/evidence';
import { detectIn } from '../helpers/causes';
import { broken, evidence, good, type World } from '../helpers/evidence-fixture';

test('health-check mismatch, detect: port and/or path, only while chasing health and when the app was seen', () => {
  const rows: { name: string; ev: Evidence; fix: Omit<HealthCheckFix, 'cause' | 'healthCheck'> | null }[] = [
    { name: 'healthy', ev: evidence(good), fix: null },
    { name: 'wrong port', ev: evidence(broken({ hcPort: 8081 })), fix: { port: 8080 } },
    { name: 'wrong path', ev: evidence(broken({ hcPath: '/health' })), fix: { requestPath: '/healthz' } },
    {
      name: 'wrong port and path',
      ev: evidence(broken({ hcPort: 8081, hcPath: '/health' })),
      fix: { port: 8080, requestPath: '/healthz' },
    },
    { name: 'the app moved', ev: evidence(broken({ appPort: 9090 })), fix: { port: 9090 } },
    {
      name: 'the check follows the serving port: the named port is what is wrong',
      ev: evidence(broken({ namedPort: 8081, hcPort: 8081, portSpecification: 'USE_SERVING_PORT' })),
      fix: null,
    },
    { name: 'backends healthy: not chased', ev: evidence({ ...good, hcPort: 8081 }), fix: null },
    { name: 'the app answers nowhere', ev: evidence(broken({ appDown: true })), fix: null },
    {
      name: 'no probe: where the app serves is unknown',
      ev: evidence(broken({ hcPort: 8081 }), { probe: { ok: false, error: 'timeout' } }),
      fix: null,
    },
  ];
  for (const r of rows) {
    const { findings } = detectIn(healthCheckMismatch, r.ev);
    assert.deepEqual(
      findings.map((f) => f.fix),
      r.fix ? [{ cause: 'HEALTH_CHECK_MISMATCH', healthCheck: 'web-hc', ...r.fix }] : [],
      r.name,
    );
  }
});

test('health-check mismatch, detect: the summary and evidence say what was probed and what answered', () => {
  const ev = evidence(broken({ hcPort: 8081, hcPath: '/health' }));
  const [f] = detectIn(healthCheckMismatch, ev).findings;
  assert.equal(
    f?.summary,
    'health check web-hc probes :8081/health but the app answers 200 on :8080/healthz',
  );
  assert.deepEqual(f?.evidence, [
    'healthChecks.get web-hc: type HTTP, port 8081, portSpecification unset, requestPath /health',
    'in-VPC probe :8081/health → ECONNREFUSED (2 instances)',
    'in-VPC probe :8080/healthz → HTTP 200 (2 instances)',
  ]);
  assert.equal(
    healthCheckMismatch.humanFix(f!.fix),
    'point the health check at the port and path the app serves',
  );
});

test('hc wrong path: the fix is the path, not the port', () => {
  const d = classify(evidence(broken({ hcPath: '/health' })));
  assert.deepEqual(d.findings[0]?.fix, {
    cause: 'HEALTH_CHECK_MISMATCH',
    healthCheck: 'web-hc',
    requestPath: '/healthz',
  });
});

const planIn = (w: World, action: unknown, over: Partial<Evidence> = {}) => {
  const ev = evidence(w, over);
  const [finding] = detectIn(healthCheckMismatch, evidence(w)).findings;
  assert.ok(finding, 'the world shows the cause');
  return healthCheckMismatch.planFinding(finding, action, { evidence: ev });
};
const fromDiagnosis = PatchHealthCheck.parse({ type: 'patchHealthCheck' });

test('health-check mismatch, plan: patch what is wrong, the inverse restores what was read', () => {
  const rows: { name: string; w: World; changes: string[]; apply: object; inverse: object }[] = [
    {
      name: 'wrong port',
      w: broken({ hcPort: 8081 }),
      changes: ['httpHealthCheck.port: 8081 → 8080'],
      apply: { port: 8080, requestPath: '/healthz' },
      inverse: { port: 8081, requestPath: '/healthz' },
    },
    {
      name: 'wrong path',
      w: broken({ hcPath: '/health' }),
      changes: ['httpHealthCheck.requestPath: /health → /healthz'],
      apply: { port: 8080, requestPath: '/healthz' },
      inverse: { port: 8080, requestPath: '/health' },
    },
    {
      name: 'both',
      w: broken({ hcPort: 8081, hcPath: '/health' }),
      changes: ['httpHealthCheck.port: 8081 → 8080', 'httpHealthCheck.requestPath: /health → /healthz'],
      apply: { port: 8080, requestPath: '/healthz' },
      inverse: { port: 8081, requestPath: '/health' },
    },
  ];
  for (const r of rows) {
    const p = planIn(r.w, fromDiagnosis);
    const step = p?.steps?.[0];
    assert.equal(step?.id, 'healthCheck/web-hc', r.name);
    assert.deepEqual(
      step?.changes.map((c) => `${c.field}: ${c.before} → ${c.after}`),
      r.changes,
      r.name,
    );
    const base = { kind: 'patchHealthCheck', healthCheck: 'web-hc', type: 'HTTP' };
    assert.deepEqual(step?.apply, { ...base, ...r.apply }, r.name);
    assert.deepEqual(step?.inverse, { ...base, ...r.inverse }, r.name);
  }
});

test('health-check mismatch, plan: a port moved off a serving-port check makes the check fixed-port, and back', () => {
  const ev = evidence(broken({ hcPort: 8080, portSpecification: 'USE_SERVING_PORT' }));
  const finding = {
    cause: 'HEALTH_CHECK_MISMATCH',
    summary: 's',
    evidence: [],
    fix: { cause: 'HEALTH_CHECK_MISMATCH', healthCheck: 'web-hc', port: 9090 },
  };
  const step = healthCheckMismatch.planFinding(finding, fromDiagnosis, { evidence: ev })?.steps?.[0];
  assert.deepEqual(
    step?.changes.map((c) => `${c.field}: ${c.before} → ${c.after}`),
    [
      'httpHealthCheck.port: 8080 → 9090',
      'httpHealthCheck.portSpecification: USE_SERVING_PORT → USE_FIXED_PORT',
    ],
  );
  assert.equal(step?.apply.kind === 'patchHealthCheck' && step.apply.portSpecification, 'USE_FIXED_PORT');
  assert.equal(
    step?.inverse.kind === 'patchHealthCheck' && step.inverse.portSpecification,
    'USE_SERVING_PORT',
  );
});

test('health-check mismatch, plan: nothing to change, unreadable, not its action, not its finding', () => {
  const asked = PatchHealthCheck.parse({ type: 'patchHealthCheck', port: 8081, requestPath: '/healthz' });
  assert.deepEqual(planIn(broken({ hcPort: 8081 }), asked), {
    note: 'health check web-hc already probes what the policy asks',
  });
  assert.deepEqual(
    planIn(broken({ hcPort: 8081 }), fromDiagnosis, { healthCheck: { ok: false, error: '503' } }),
    { escalate: 'the health check could not be read at planning time' },
  );
  assert.equal(
    planIn(broken({ hcPort: 8081 }), RaiseBackendTimeout.parse({ type: 'raiseBackendTimeout' })),
    undefined,
  );
  const ev = evidence(broken({ hcPort: 8081 }));
  const malformed = { cause: 'HEALTH_CHECK_MISMATCH', summary: 's', evidence: [], fix: { port: 'x' } };
  assert.match(
    healthCheckMismatch.planFinding(malformed, fromDiagnosis, { evidence: ev })?.escalate ?? '',
    /does not carry the facts a HEALTH_CHECK_MISMATCH fix needs/,
  );
});
