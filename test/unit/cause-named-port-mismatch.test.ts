import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import { namedPortMismatch, SetNamedPort } from '../../core/causes/named-port-mismatch';
import type { Evidence } from '../../core/evidence';
import { buildPlan } from '../../core/plan';
import { Policy } from '../../policies/schema';
import { shippedPolicies } from '../helpers/approvers';
import { detectIn } from '../helpers/causes';
import { broken, evidence, good } from '../helpers/evidence-fixture';

const servingPortCheck = broken({ namedPort: 8081, hcPort: 8081, portSpecification: 'USE_SERVING_PORT' });
/** GCP's view of a wrong named port behind a fixed-port check (issue 15): HEALTHY, 400 connect failures. */
const healthyButRefused = {
  ...good,
  portSpecification: 'USE_FIXED_PORT',
  namedPort: 8081,
  logs: { failed_to_connect_to_backend: 400 },
};

/** `ev` with every probe of `port` timed out (the way there dropped, say). */
function probeTimedOutOn(ev: Evidence, port: number): Evidence {
  if (!ev.probe.ok) return ev;
  const probe = ev.probe.value.map((r) =>
    r.port === port
      ? {
          instance: r.instance,
          ipAddress: r.ipAddress,
          port,
          path: r.path,
          latencyMs: 2000,
          error: 'timeout',
        }
      : r,
  );
  return { ...ev, probe: { ok: true, value: probe } };
}

test('named-port mismatch, detect: the named port against the port the app serves', () => {
  const rows: { name: string; ev: Evidence; port: number | null; summary?: string }[] = [
    { name: 'healthy', ev: evidence(good), port: null },
    {
      name: 'named port 8081, app 8080',
      ev: evidence(servingPortCheck),
      port: 8080,
      summary: 'named port http is 8081 but the app serves 8080',
    },
    {
      name: 'named port missing',
      ev: evidence(broken({ namedPort: undefined })),
      port: 8080,
      summary: 'named port http is missing but the app serves 8080',
    },
    { name: 'the app moved', ev: evidence(broken({ appPort: 9090 })), port: 9090 },
    { name: 'named port right', ev: evidence(broken({ hcPort: 8081 })), port: null },
    {
      name: 'instance groups unreadable',
      ev: evidence(servingPortCheck, { instanceGroups: { ok: false, error: '503' } }),
      port: null,
    },
    { name: 'backends healthy: not chased', ev: evidence({ ...good, namedPort: 8081 }), port: null },
    // As GCP shows cause 3 with a fixed-port check: HEALTHY, and the LB cannot connect to the named port.
    {
      name: 'HEALTHY, failed_to_connect_to_backend, named port 8081',
      ev: evidence(healthyButRefused),
      port: 8080,
    },
    {
      name: 'HEALTHY, failed_to_connect_to_backend, named port missing',
      ev: evidence({ ...healthyButRefused, namedPort: undefined }),
      port: 8080,
    },
    {
      name: 'HEALTHY, failed_to_connect_to_backend, the named port is the serving one',
      ev: evidence({ ...healthyButRefused, namedPort: 8080 }),
      port: null,
    },
    {
      name: 'HEALTHY, failed_to_connect_to_backend, the named port probe timed out: nothing proven',
      ev: probeTimedOutOn(evidence(healthyButRefused), 8081),
      port: null,
    },
    {
      name: 'HEALTHY, failed_to_connect_to_backend, the app answers on the named port too',
      ev: evidence({ ...healthyButRefused, appPort: 8081, hcPort: 8081 }),
      port: null,
    },
  ];
  for (const r of rows) {
    const { findings } = detectIn(namedPortMismatch, r.ev);
    assert.deepEqual(
      findings.map((f) => f.fix),
      r.port === null
        ? []
        : [
            {
              cause: 'NAMED_PORT_MISMATCH',
              portName: 'http',
              port: r.port,
              groups: [{ name: 'web-ig', zone: 'z1' }],
            },
          ],
      r.name,
    );
    if (r.summary) assert.equal(findings[0]?.summary, r.summary, r.name);
  }
  const [f] = detectIn(namedPortMismatch, evidence(servingPortCheck)).findings;
  assert.deepEqual(f?.evidence, [
    'backendServices.get web-bs: portName http',
    'instanceGroups.get web-ig: namedPorts http:8081',
    'in-VPC probe :8080/healthz → HTTP 200',
  ]);
  assert.equal(
    namedPortMismatch.humanFix(f!.fix),
    'set named port http to 8080 on the backend instance groups',
  );
  const [healthy] = detectIn(namedPortMismatch, evidence(healthyButRefused)).findings;
  assert.deepEqual(healthy?.evidence, [
    'backendServices.get web-bs: portName http',
    'instanceGroups.get web-ig: namedPorts http:8081',
    'getHealth: 2/2 HEALTHY (the health check does not use the named port)',
    'LB logs: 400 × failed_to_connect_to_backend',
    'in-VPC probe :8081 → ECONNREFUSED',
    'in-VPC probe :8080/healthz → HTTP 200',
  ]);
});

test('classify: the issue 15 case (fixed-port check passing, named port 8081, HEALTHY, 400 × failed_to_connect_to_backend)', () => {
  const d = classify(evidence(healthyButRefused));
  assert.equal(d.verdict, 'FAULTS_FOUND');
  assert.deepEqual(
    d.findings.map((f) => f.cause),
    ['NAMED_PORT_MISMATCH'],
  );
});

test('named-port mismatch, plan: a regional group is set through its region', () => {
  const base = evidence(healthyButRefused);
  const groups = base.instanceGroups.ok ? base.instanceGroups.value : [];
  const regional = groups.map((g) => ({ ...g, zone: '', region: 'r1' }));
  const ev: Evidence = { ...base, instanceGroups: { ok: true, value: regional } };
  const [finding] = detectIn(namedPortMismatch, ev).findings;
  assert.deepEqual(finding?.fix.groups, [{ name: 'web-ig', zone: '', region: 'r1' }]);
  const plan = buildPlan(ev, classify(ev), shippedPolicies());
  assert.deepEqual(
    plan.steps.map((s) => [s.id, s.apply, s.inverse]),
    [
      [
        'instanceGroup/r1/web-ig',
        {
          kind: 'setNamedPorts',
          instanceGroup: 'web-ig',
          zone: '',
          region: 'r1',
          namedPorts: [{ name: 'http', port: 8080 }],
        },
        {
          kind: 'setNamedPorts',
          instanceGroup: 'web-ig',
          zone: '',
          region: 'r1',
          namedPorts: [{ name: 'http', port: 8081 }],
        },
      ],
    ],
  );
});

test('named-port mismatch, plan: one step per group, the named port set or added, the others kept', () => {
  const [finding] = detectIn(namedPortMismatch, evidence(servingPortCheck)).findings;
  assert.ok(finding);
  const rows: { name: string; current: { name: string; port: number }[]; action: object; next: string }[] = [
    { name: 'set', current: [{ name: 'http', port: 8081 }], action: {}, next: 'http:8080' },
    { name: 'added', current: [{ name: 'admin', port: 9000 }], action: {}, next: 'admin:9000, http:8080' },
    {
      name: 'the policy names the port',
      current: [{ name: 'http', port: 8081 }],
      action: { port: 8443 },
      next: 'http:8443',
    },
  ];
  for (const r of rows) {
    const ev = evidence(servingPortCheck);
    const groups = ev.instanceGroups.ok ? ev.instanceGroups.value : [];
    const withPorts = groups.map((g) => ({ ...g, namedPorts: r.current }));
    const action = SetNamedPort.parse({ type: 'setNamedPort', ...r.action });
    const p = namedPortMismatch.planFinding(finding, action, {
      evidence: { ...ev, instanceGroups: { ok: true, value: withPorts } },
    });
    assert.deepEqual(
      p?.steps?.map((s) => [s.id, ...s.changes.map((c) => `${c.before} → ${c.after}`)]),
      [['instanceGroup/z1/web-ig', `${r.current.map((x) => `${x.name}:${x.port}`).join(', ')} → ${r.next}`]],
      r.name,
    );
    assert.deepEqual(p?.steps?.[0]?.inverse, {
      kind: 'setNamedPorts',
      instanceGroup: 'web-ig',
      zone: 'z1',
      namedPorts: r.current,
    });
  }
});

test('named port: other named ports are kept', () => {
  const ev = evidence(servingPortCheck);
  const groups = ev.instanceGroups.ok ? ev.instanceGroups.value : [];
  const withExtra = groups.map((g) => ({
    ...g,
    namedPorts: [{ name: 'admin', port: 9000 }, ...g.namedPorts],
  }));
  const withGroups = { ...ev, instanceGroups: { ok: true as const, value: withExtra } };
  const p = buildPlan(withGroups, classify(withGroups), shippedPolicies());
  assert.deepEqual(p.steps[0]?.apply, {
    kind: 'setNamedPorts',
    instanceGroup: 'web-ig',
    zone: 'z1',
    namedPorts: [
      { name: 'admin', port: 9000 },
      { name: 'http', port: 8080 },
    ],
  });
});

test('named port shared with another backend service on the same group: escalated unless maxImpact allows it', () => {
  const ev = evidence(broken({ namedPort: 8081, hcPort: 8081, portSpecification: 'USE_SERVING_PORT' }));
  assert.ok(ev.topology.ok);
  const admin = {
    name: 'admin-bs',
    portName: 'http',
    healthCheck: 'admin-hc',
    groups: [{ name: 'web-ig', zone: 'z1' }],
  };
  const shared: Evidence = {
    ...ev,
    topology: {
      ok: true,
      value: { ...ev.topology.value, backendServices: [...ev.topology.value.backendServices, admin] },
    },
  };
  const shipped = shippedPolicies();
  const p = buildPlan(shared, classify(shared), shipped);
  assert.deepEqual(p.steps, []);
  assert.match(
    p.escalations[0]?.summary ?? '',
    /^instanceGroup\/z1\/web-ig also affects admin-bs \(named port http of instance group web-ig is also used by admin-bs\)$/,
  );
  const allowing = Policy.parse({
    name: 'named-port-shared',
    priority: 10,
    match: { causes: ['NAMED_PORT_MISMATCH'] },
    action: { type: 'setNamedPort' },
    approval: { mode: 'auto' },
    maxImpact: { otherBackendServices: 1 },
  });
  const allowed = buildPlan(shared, classify(shared), {
    ...shipped,
    policies: [...shipped.policies, allowing],
  });
  assert.deepEqual(
    allowed.steps.map((s) => [s.id, s.impact.backendServices]),
    [['instanceGroup/z1/web-ig', ['admin-bs']]],
  );
});
