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
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { detectIn } from '../helpers/causes';
import { broken, evidence, good, type World } from '../helpers/evidence-fixture';

/**
 * One instance of two fails its probes: the health check asks for /health, which only web-1 serves;
 * both serve /healthz. What the health watch finds before the load balancer answers 5xx.
 */
function partlyWrongPath(): Evidence {
  const ev = evidence(broken({ hcPath: '/health' }));
  const probe = ev.probe.ok ? ev.probe.value : [];
  const health = ev.health.ok ? ev.health.value : [];
  const web1 = (r: { instance: string }) => r.instance === 'web-1';
  return {
    ...ev,
    probe: {
      ok: true,
      value: probe.map((r) =>
        web1(r) && r.port === 8080 && r.path === '/health' ? { ...r, status: 200 } : r,
      ),
    },
    health: { ok: true, value: health.map((h) => (web1(h) ? { ...h, healthState: 'HEALTHY' } : h)) },
  };
}

test('health-check mismatch, detect: port and/or path, only while chasing health and when the app was seen', () => {
  const rows: { name: string; ev: Evidence; fix: Omit<HealthCheckFix, 'cause' | 'healthCheck'> | null }[] = [
    { name: 'healthy', ev: evidence(good), fix: null },
    { name: 'wrong port', ev: evidence(broken({ hcPort: 8081 })), fix: { port: 8080 } },
    { name: 'wrong path', ev: evidence(broken({ hcPath: '/health' })), fix: { requestPath: '/healthz' } },
    { name: 'wrong path for one instance of two', ev: partlyWrongPath(), fix: { requestPath: '/healthz' } },
    {
      name: 'every instance answers the check’s path: nothing wrong with it',
      ev: evidence({ ...good, healthy: false, appPaths: ['/', '/healthz', '/health'], hcPath: '/health' }),
      fix: null,
    },
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

/** Fixture evidence in which `others` also use web-hc (or the topology could not be read). */
function sharedWith(others: string[] | 'unreadable', w: Partial<World> = { hcPort: 8081 }): Evidence {
  const ev = evidence(broken(w));
  if (others === 'unreadable') return { ...ev, topology: { ok: false, error: '503 backendError' } };
  assert.ok(ev.topology.ok);
  const users = others.map((name) => ({ name, portName: 'http', healthCheck: 'web-hc', groups: [] }));
  return {
    ...ev,
    topology: {
      ok: true,
      value: { ...ev.topology.value, backendServices: [...ev.topology.value.backendServices, ...users] },
    },
  };
}

const planShared = (ev: Evidence, whenShared?: string) => {
  const [f] = detectIn(healthCheckMismatch, ev).findings;
  assert.ok(f);
  const action = PatchHealthCheck.parse({ type: 'patchHealthCheck', ...(whenShared ? { whenShared } : {}) });
  return healthCheckMismatch.planFinding(f, action, { evidence: ev });
};

test('health-check mismatch, shared check: a dedicated copy with the fix, the backend service switched to it, both undone', () => {
  const p = planShared(sharedWith(['api-bs']));
  assert.deepEqual(
    p?.steps?.map((s) => [s.id, s.apply, s.inverse]),
    [
      [
        'healthCheck/lbmedic-hc-web-bs',
        {
          kind: 'insertHealthCheck',
          healthCheck: 'lbmedic-hc-web-bs',
          type: 'HTTP',
          checkIntervalSec: 5,
          timeoutSec: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 2,
          details: { port: 8080, requestPath: '/healthz' },
          description:
            'lbmedic: dedicated copy of health check web-hc for backend service web-bs; web-hc is shared with api-bs',
        },
        { kind: 'deleteHealthCheck', healthCheck: 'lbmedic-hc-web-bs' },
      ],
      [
        'backendService/web-bs/healthCheck',
        { kind: 'setBackendServiceHealthCheck', backendService: 'web-bs', healthCheck: 'lbmedic-hc-web-bs' },
        { kind: 'setBackendServiceHealthCheck', backendService: 'web-bs', healthCheck: 'web-hc' },
      ],
    ],
  );
  assert.deepEqual(
    p?.steps?.[0]?.changes.map((c) => `${c.field}: ${c.before} → ${c.after}`),
    ['(new health check): - → a copy of web-hc for web-bs', 'httpHealthCheck.port (copy): 8081 → 8080'],
  );
  // Who else uses a check is unknown: copying is the safe choice.
  assert.equal(planShared(sharedWith('unreadable'))?.steps?.[0]?.apply.kind, 'insertHealthCheck');
  // Not shared: patched where it is.
  assert.equal(planShared(sharedWith([]))?.steps?.[0]?.apply.kind, 'patchHealthCheck');
});

/** `ev` moved into `region`: its backend service, its health check and every user of the check. */
function inRegion(ev: Evidence, region: string): Evidence {
  assert.ok(ev.healthCheck.ok && ev.healthCheck.value && ev.backend.ok && ev.topology.ok);
  const topo = ev.topology.value;
  return {
    ...ev,
    backend: { ok: true, value: { ...ev.backend.value, region, healthCheckRegion: region } },
    healthCheck: { ok: true, value: { ...ev.healthCheck.value, region } },
    topology: {
      ok: true,
      value: {
        ...topo,
        backendServices: topo.backendServices.map((b) =>
          b.healthCheck === 'web-hc' ? { ...b, region, healthCheckRegion: region } : b,
        ),
      },
    },
  };
}

test('health-check mismatch, shared regional check: escalated, since a global copy could not serve a regional backend service', () => {
  const p = planShared(inRegion(sharedWith(['api-bs']), 'us-central1'));
  assert.equal(p?.steps, undefined);
  assert.match(
    p?.escalate ?? '',
    /^health check web-hc \(region us-central1\) is shared with us-central1\/api-bs; lbmedic copies global health checks only/,
  );
  // Not shared: patched where it is, in its region.
  const own = planShared(inRegion(sharedWith([]), 'us-central1'));
  assert.deepEqual(
    own?.steps?.map((x) => x.apply.kind),
    ['patchHealthCheck'],
  );
  // A global check of the same name used by a global backend service is another check: not shared.
  const namesake = inRegion(sharedWith([]), 'us-central1');
  assert.ok(namesake.topology.ok);
  namesake.topology.value.backendServices.push({
    name: 'api-bs',
    portName: 'http',
    healthCheck: 'web-hc',
    groups: [],
  });
  assert.deepEqual(
    planShared(namesake)?.steps?.map((x) => x.apply.kind),
    ['patchHealthCheck'],
  );
});

test('health-check mismatch, shared check: a policy may escalate, or patch it in place and leave the reach to maxImpact', () => {
  assert.equal(
    planShared(sharedWith(['api-bs', 'admin-bs']), 'escalate')?.escalate,
    'health check web-hc is shared with admin-bs, api-bs; the policy escalates shared health checks',
  );
  assert.deepEqual(
    planShared(sharedWith(['api-bs']), 'patch')?.steps?.map((s) => s.apply.kind),
    ['patchHealthCheck'],
  );
  // The shipped policies copy: the plan reaches nothing beyond web-bs.
  const ev = sharedWith(['api-bs']);
  const plan = buildPlan(ev, classify(ev), shippedPolicies());
  assert.deepEqual(
    plan.steps.map((s) => [s.id, s.impact.backendServices]),
    [
      ['healthCheck/lbmedic-hc-web-bs', []],
      ['backendService/web-bs/healthCheck', []],
    ],
  );
});

test("health-check mismatch: lbmedic's own copy is patched where it is, even when nobody can say who uses it", () => {
  const ev = sharedWith('unreadable');
  assert.ok(ev.healthCheck.ok && ev.healthCheck.value);
  const own = {
    ...ev,
    healthCheck: {
      ok: true as const,
      value: { ...ev.healthCheck.value, name: 'lbmedic-hc-web-bs', description: 'lbmedic: dedicated copy' },
    },
  };
  assert.deepEqual(
    planShared(own)?.steps?.map((s) => s.apply.kind),
    ['patchHealthCheck'],
  );
});
