import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../../core/classify';
import { keepaliveTooShort } from '../../core/causes/keepalive-too-short';
import { RaiseBackendTimeout } from '../../core/causes/backend-timeout';
import type { Evidence } from '../../core/evidence';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { detectIn } from '../helpers/causes';
import { evidence, good } from '../helpers/evidence-fixture';

const closed = (n: number) =>
  evidence({
    ...good,
    logs: { response_sent_by_backend: 490, backend_connection_closed_before_data_sent_to_client: n },
  });

test('keepalive, detect: connections the backend closed first, in the logs', () => {
  const rows: { name: string; ev: Evidence; found: boolean }[] = [
    { name: 'none closed', ev: evidence(good), found: false },
    { name: 'ten closed', ev: closed(10), found: true },
    { name: 'logs unreadable', ev: evidence(good, { logs: { ok: false, error: '503' } }), found: false },
  ];
  for (const r of rows) {
    assert.equal(detectIn(keepaliveTooShort, r.ev).findings.length, r.found ? 1 : 0, r.name);
  }
  const [f] = detectIn(keepaliveTooShort, closed(10)).findings;
  assert.equal(f?.summary, '10 requests failed because the backend closed the connection first');
  assert.deepEqual(f?.evidence, [
    'LB logs (10 min): 10 × backend_connection_closed_before_data_sent_to_client',
    "the GFE keeps backend connections open 600s; the app's keepalive must be longer",
  ]);
  assert.deepEqual(f?.fix, { cause: 'KEEPALIVE_TOO_SHORT', requiredKeepaliveSec: 620 });
});

test('keepalive, plan: no remedy on GCP, so no action plans it', () => {
  assert.deepEqual(keepaliveTooShort.remedies, []);
  const [f] = detectIn(keepaliveTooShort, closed(3)).findings;
  const action = RaiseBackendTimeout.parse({ type: 'raiseBackendTimeout' });
  assert.equal(keepaliveTooShort.planFinding(f!, action, { evidence: closed(3) }), undefined);
});

test('keepalive: escalation only, with the human fix', () => {
  const ev = evidence({ ...good, logs: { backend_connection_closed_before_data_sent_to_client: 3 } });
  const p = buildPlan(ev, classify(ev), shippedPolicies());
  assert.deepEqual(p.steps, []);
  assert.match(p.escalations[0]?.humanFix ?? '', /keepalive .* above 600 s, e\.g\. 620 s/);
});
