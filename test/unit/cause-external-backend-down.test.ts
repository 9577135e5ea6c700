/** Backends outside Google Cloud (hybrid and internet NEGs): recognised, escalated, nothing changed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import { externalBackendDown } from '../../core/causes/external-backend-down';
import type { Evidence, NegFacts } from '../../core/evidence';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { detectIn } from '../helpers/causes';
import { evidence, good } from '../helpers/evidence-fixture';

const HYBRID: NegFacts = {
  name: 'onprem-neg',
  type: 'NON_GCP_PRIVATE_IP_PORT',
  size: 2,
  zone: 'z1',
  endpoints: [
    { ipAddress: '10.50.0.11', port: 8080 },
    { ipAddress: '10.50.0.12', port: 8080 },
  ],
};
const INTERNET: NegFacts = {
  name: 'origin-neg',
  type: 'INTERNET_FQDN_PORT',
  size: 1,
  endpoints: [{ fqdn: 'origin.example.com', port: 443 }],
};

/** legacy-bs with one NEG backend, its endpoints' health and the LB's statusDetails. */
function world(neg: NegFacts, healthState: string | undefined, logs: Record<string, number>): Evidence {
  const group = `x/${neg.zone ? `zones/${neg.zone}` : 'global'}/networkEndpointGroups/${neg.name}`;
  const total = Object.values(logs).reduce((a, b) => a + b, 0);
  return evidence(good, {
    backend: {
      ok: true,
      value: {
        name: 'legacy-bs',
        protocol: 'HTTP',
        portName: 'http',
        timeoutSec: 30,
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        backends: [{ group, kind: 'neg', name: neg.name, ...(neg.zone ? { zone: neg.zone } : {}) }],
      },
    },
    health: {
      ok: true,
      value:
        healthState === undefined
          ? []
          : (neg.endpoints ?? []).map((e) => ({
              instance: `${e.ipAddress}:${e.port}`,
              group: neg.name,
              ipAddress: e.ipAddress ?? '',
              port: e.port,
              healthState,
            })),
    },
    instanceGroups: { ok: true, value: [] },
    probe: { ok: true, value: [] },
    logs: { ok: true, value: { windowMinutes: 10, total, limit: 1000, byStatusDetails: logs, byStatus: {} } },
    negs: { ok: true, value: [neg] },
  });
}

test('external backends, detect: a hybrid NEG by its endpoints health, an internet NEG by the LB logs', () => {
  const rows: { name: string; ev: Evidence; negs: string[] }[] = [
    {
      name: 'hybrid, UNHEALTHY, failed_to_pick_backend',
      ev: world(HYBRID, 'UNHEALTHY', { failed_to_pick_backend: 400 }),
      negs: ['onprem-neg'],
    },
    {
      name: 'hybrid, HEALTHY, serving',
      ev: world(HYBRID, 'HEALTHY', { response_sent_by_backend: 400 }),
      negs: [],
    },
    {
      name: 'internet, failed_to_connect_to_backend',
      ev: world(INTERNET, undefined, { failed_to_connect_to_backend: 400 }),
      negs: ['origin-neg'],
    },
    {
      name: 'internet, serving',
      ev: world(INTERNET, undefined, { response_sent_by_backend: 400 }),
      negs: [],
    },
    { name: 'instance groups only', ev: evidence(good), negs: [] },
  ];
  for (const r of rows) {
    const { findings } = detectIn(externalBackendDown, r.ev);
    assert.deepEqual(
      findings.flatMap((f) => f.fix.negs.map((n) => n.name)),
      r.negs,
      r.name,
    );
  }
  const [hybrid] = detectIn(externalBackendDown, rows[0]!.ev).findings;
  assert.deepEqual(hybrid?.evidence, [
    'networkEndpointGroups: onprem-neg NON_GCP_PRIVATE_IP_PORT → 10.50.0.11:8080, 10.50.0.12:8080; getHealth: 2/2 not HEALTHY',
    'LB logs: 400 × failed_to_pick_backend',
  ]);
});

test('external backends, plan: escalated by the shipped policy, nothing changed', () => {
  for (const ev of [
    world(HYBRID, 'UNHEALTHY', { failed_to_pick_backend: 400 }),
    world(INTERNET, undefined, { failed_to_connect_to_backend: 400 }),
  ]) {
    const d = classify(ev);
    assert.deepEqual(
      d.findings.map((f) => f.cause),
      ['EXTERNAL_BACKEND_DOWN'],
    );
    const p = buildPlan(ev, d, shippedPolicies());
    assert.deepEqual(p.steps, []);
    assert.deepEqual(
      p.escalations.map((e) => [e.cause, e.policy]),
      [['EXTERNAL_BACKEND_DOWN', 'external-backend-down']],
    );
    assert.match(p.escalations[0]?.humanFix ?? '', /nothing in the Google Cloud project is wrong to change/);
  }
});
