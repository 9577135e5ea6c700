import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import { negMisconfigured } from '../../core/causes/neg-misconfigured';
import type { Evidence, NegFacts } from '../../core/evidence';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { detectIn } from '../helpers/causes';
import { evidence, good } from '../helpers/evidence-fixture';

/** api-bs with one serverless NEG backend, run-neg, the NEGs as listed, and its 502s' statusDetails. */
const negWorld = (
  negs: Evidence['negs'],
  byStatusDetails: Record<string, number> = { failed_to_pick_backend: 9 },
): Evidence =>
  evidence(good, {
    backend: {
      ok: true,
      value: {
        name: 'api-bs',
        protocol: 'HTTPS',
        portName: 'http',
        timeoutSec: 30,
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        backends: [
          { group: 'x/regions/r1/networkEndpointGroups/run-neg', kind: 'neg', name: 'run-neg', region: 'r1' },
        ],
      },
    },
    health: { ok: true, value: [] },
    healthCheck: { ok: true, value: null },
    logs: {
      ok: true,
      value: {
        windowMinutes: 10,
        total: 9,
        limit: 5000,
        byStatusDetails,
        byStatus: { '502': 9 },
      },
    },
    negs,
  });
const neg = (size: number): NegFacts => ({
  name: 'run-neg',
  type: 'SERVERLESS',
  size,
  region: 'r1',
  cloudRunService: 'api',
});

test('NEG, detect: a NEG backend with no endpoints, or none at all', () => {
  const rows: {
    name: string;
    ev: Evidence;
    negs: object[] | null;
    notes?: string[];
    evidence?: string[];
  }[] = [
    { name: 'instance groups only', ev: evidence(good), negs: null },
    // Every serverless NEG has size 0 on GCP: size alone proves nothing (issue 15's false positive).
    {
      name: 'size 0, serving',
      ev: negWorld({ ok: true, value: [neg(0)] }, { response_sent_by_backend: 9 }),
      negs: null,
    },
    { name: 'size 0, failed_to_pick_backend only', ev: negWorld({ ok: true, value: [neg(0)] }), negs: null },
    {
      // GCP logs a serverless NEG whose service cannot be found as serverless_neg_routing_failed.
      name: 'size 0, service not found by the load balancer',
      ev: negWorld({ ok: true, value: [neg(0)] }, { serverless_neg_routing_failed: 9 }),
      negs: [{ name: 'run-neg', type: 'SERVERLESS', size: 0, target: 'api' }],
      evidence: [
        'networkEndpointGroups: run-neg SERVERLESS size 0 → Cloud Run api',
        'LB logs: 9 × serverless_neg_routing_failed',
      ],
    },
    {
      name: 'missing',
      ev: negWorld({ ok: true, value: [] }),
      negs: [{ name: 'run-neg', type: 'MISSING', size: 0 }],
    },
    { name: 'endpoints present', ev: negWorld({ ok: true, value: [neg(2)] }), negs: null },
    {
      name: 'unreadable',
      ev: negWorld({ ok: false, error: '403' }),
      negs: null,
      notes: ['network endpoint groups could not be read'],
    },
  ];
  for (const r of rows) {
    const found = detectIn(negMisconfigured, r.ev);
    assert.deepEqual(
      found.findings.map((f) => f.fix),
      r.negs === null ? [] : [{ cause: 'NEG_MISCONFIGURED', negs: r.negs }],
      r.name,
    );
    assert.deepEqual(found.notes, r.notes ?? [], r.name);
    if (r.evidence) assert.deepEqual(found.findings[0]?.evidence, r.evidence, r.name);
  }
});

test('a serverless NEG of size 0 is healthy until the load balancer cannot route to its service', () => {
  const serving = negWorld({ ok: true, value: [neg(0)] }, { response_sent_by_backend: 9 });
  if (serving.logs.ok) serving.logs.value.byStatus = { '200': 9 };
  const healthy = classify(serving);
  assert.equal(healthy.verdict, 'NO_FAULT');
  assert.deepEqual(healthy.findings, []);
  const d = classify(negWorld({ ok: true, value: [neg(0)] }, { serverless_neg_routing_failed: 9 }));
  assert.equal(d.verdict, 'FAULTS_FOUND');
  assert.deepEqual(
    d.findings.map((f) => f.fix),
    [{ cause: 'NEG_MISCONFIGURED', negs: [{ name: 'run-neg', type: 'SERVERLESS', size: 0, target: 'api' }] }],
  );
});

test('NEG, plan: no remedy on GCP; the shipped policy escalates with the human fix and its message', () => {
  assert.deepEqual(negMisconfigured.remedies, []);
  const ev = negWorld({ ok: true, value: [neg(0)] }, { serverless_neg_routing_failed: 9 });
  const p = buildPlan(ev, classify(ev), shippedPolicies());
  assert.deepEqual(p.steps, []);
  assert.deepEqual(
    p.escalations.map((e) => [e.cause, e.policy, e.humanFix]),
    [
      [
        'NEG_MISCONFIGURED',
        'neg-misconfigured',
        'repoint or recreate run-neg so it has endpoints (check the Cloud Run service and region). Point the NEG at the right Cloud Run service/region, or resync the GKE NEG; then re-run lbmedic.',
      ],
    ],
  );
});
