import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendTimeout, RaiseBackendTimeout } from '../../core/causes/backend-timeout';
import { classify } from '../../core/classify';
import type { Evidence } from '../../core/evidence';
import { buildPlan } from '../../core/plan';
import { shippedPolicies } from '../helpers/approvers';
import { detectIn } from '../helpers/causes';
import { evidence, good } from '../helpers/evidence-fixture';

test('backend timeout, detect: backend_timeout in the logs, sized by the latency metric', () => {
  const rows: { name: string; ev: Evidence; summary: string | null; latency: string }[] = [
    { name: 'no timeouts', ev: evidence(good), summary: null, latency: '' },
    {
      name: 'timeouts with latency',
      ev: evidence({
        ...good,
        logs: { response_sent_by_backend: 450, backend_timeout: 50 },
        latencyMaxMs: 45_000,
      }),
      summary: '50 requests hit the 30s backend timeout; slowest backend latency 45000 ms',
      latency: 'backend_latencies: p50 20 ms, p99 45000 ms, max 45000 ms',
    },
    {
      name: 'timeouts, no metrics',
      ev: evidence({ ...good, logs: { backend_timeout: 5 } }, { latency: { ok: false, error: '503' } }),
      summary: '5 requests hit the 30s backend timeout',
      latency: 'backend_latencies unavailable: the latency a new timeout must cover is unknown',
    },
  ];
  for (const r of rows) {
    const { findings } = detectIn(backendTimeout, r.ev);
    assert.deepEqual(
      findings.map((f) => f.summary),
      r.summary === null ? [] : [r.summary],
      r.name,
    );
    if (r.summary) assert.equal(findings[0]?.evidence[2], r.latency, r.name);
  }
});

test('backend timeout carries the observed latency, flagged when the LB cut it off', () => {
  const cut = classify(evidence({ ...good, logs: { backend_timeout: 5 }, latencyMaxMs: 33_882 }));
  assert.deepEqual(cut.findings[0]?.fix, {
    cause: 'BACKEND_TIMEOUT',
    backendService: 'web-bs',
    timeoutSec: 30,
    observedLatencyMs: 33_882,
    latencyCensored: true,
  });
  const below = classify(evidence({ ...good, logs: { backend_timeout: 5 }, latencyMaxMs: 12_000 }));
  assert.deepEqual(below.findings[0]?.fix, {
    cause: 'BACKEND_TIMEOUT',
    backendService: 'web-bs',
    timeoutSec: 30,
    observedLatencyMs: 12_000,
    latencyCensored: false,
  });
  const noMetrics = classify(
    evidence({ ...good, logs: { backend_timeout: 5 } }, { latency: { ok: false, error: '503' } }),
  );
  assert.deepEqual(noMetrics.findings[0]?.fix, {
    cause: 'BACKEND_TIMEOUT',
    backendService: 'web-bs',
    timeoutSec: 30,
  });
  assert.deepEqual(noMetrics.unavailable, [{ source: 'latency', error: '503' }]);
});

test('backend timeout: latency × margin, a larger margin when censored, capped; at the cap it escalates', () => {
  const shipped = shippedPolicies();
  const plan = (ev: Evidence) => buildPlan(ev, classify(ev), shipped);
  const rows = [
    {
      name: 'observed below the timeout (metrics lag the logs): × 1.5',
      maxMs: 20_000,
      timeout: 30,
      expect: 45,
    },
    { name: 'observed 45s, at or over the timeout so censored: × 2', maxMs: 45_000, timeout: 30, expect: 90 },
    { name: 'censored at 33.9s', maxMs: 33_882, timeout: 30, expect: 68 },
    { name: 'capped', maxMs: 400_000, timeout: 30, expect: 300 },
  ];
  for (const r of rows) {
    const p = plan(
      evidence({ ...good, timeoutSec: r.timeout, logs: { backend_timeout: 9 }, latencyMaxMs: r.maxMs }),
    );
    assert.deepEqual(
      p.steps[0]?.apply,
      { kind: 'patchBackendService', backendService: 'web-bs', timeoutSec: r.expect },
      r.name,
    );
    assert.equal(p.approval.mode, 'manual', 'the shipped timeout policy asks a person');
  }
  const atCap = plan(
    evidence({ ...good, timeoutSec: 300, logs: { backend_timeout: 9 }, latencyMaxMs: 320_000 }),
  );
  assert.equal(atCap.steps.length, 0);
  assert.match(atCap.escalations[0]?.humanFix ?? '', /caps it at 300s/);
});

test('backend timeout, plan: the policy margins and cap; the inverse restores the timeout; a capped value is noted', () => {
  const finding = (observedLatencyMs: number | undefined, latencyCensored = false) => ({
    cause: 'BACKEND_TIMEOUT',
    summary: 's',
    evidence: [],
    fix: {
      cause: 'BACKEND_TIMEOUT',
      backendService: 'web-bs',
      timeoutSec: 30,
      ...(observedLatencyMs === undefined ? {} : { observedLatencyMs, latencyCensored }),
    },
  });
  const ctx = { evidence: evidence(good) };
  const action = (p: object) => RaiseBackendTimeout.parse({ type: 'raiseBackendTimeout', ...p });
  const rows: {
    name: string;
    f: ReturnType<typeof finding>;
    a: object;
    next?: number;
    note?: string;
    escalate?: RegExp;
  }[] = [
    { name: 'margin 3 on 20s', f: finding(20_000), a: { margin: 3 }, next: 90 },
    {
      name: 'censored uses the larger margin',
      f: finding(30_000, true),
      a: { margin: 1.2, censoredMargin: 4 },
      next: 120,
    },
    { name: 'no latency: the timeout itself × margin', f: finding(undefined), a: {}, next: 45 },
    {
      name: 'capped',
      f: finding(200_000),
      a: { maxTimeoutSec: 60 },
      next: 60,
      note: 'timeoutSec capped at 60s (the latency suggests 300s)',
    },
    {
      name: 'the cap is the timeout',
      f: finding(200_000),
      a: { maxTimeoutSec: 30 },
      escalate: /policy caps it at 30s/,
    },
  ];
  for (const r of rows) {
    const p = backendTimeout.planFinding(r.f, action(r.a), ctx);
    const step = p?.steps?.[0];
    assert.deepEqual(
      step?.apply,
      r.next === undefined
        ? undefined
        : { kind: 'patchBackendService', backendService: 'web-bs', timeoutSec: r.next },
      r.name,
    );
    if (step)
      assert.deepEqual(step.inverse, {
        kind: 'patchBackendService',
        backendService: 'web-bs',
        timeoutSec: 30,
      });
    assert.equal(p?.note, r.note, r.name);
    if (r.escalate) assert.match(p?.escalate ?? '', r.escalate, r.name);
  }
  assert.equal(
    backendTimeout.humanFixFor(finding(1)),
    "raise web-bs's timeoutSec above the slow endpoints' latency, or make them faster",
  );
});

test('backend timeout on a regional backend service: found with its region, patched through the regional API', () => {
  const ev = evidence({ ...good, logs: { backend_timeout: 5 }, latencyMaxMs: 12_000 });
  assert.ok(ev.backend.ok);
  const regional: Evidence = {
    ...ev,
    backend: { ok: true, value: { ...ev.backend.value, region: 'us-central1' } },
  };
  const diagnosis = classify(regional);
  assert.deepEqual(diagnosis.findings[0]?.fix, {
    cause: 'BACKEND_TIMEOUT',
    backendService: 'web-bs',
    region: 'us-central1',
    timeoutSec: 30,
    observedLatencyMs: 12_000,
    latencyCensored: false,
  });
  const [step] = buildPlan(regional, diagnosis, shippedPolicies()).steps;
  assert.deepEqual(step?.resource, { kind: 'backendService', name: 'web-bs', region: 'us-central1' });
  assert.deepEqual(step?.apply, {
    kind: 'patchBackendService',
    backendService: 'web-bs',
    region: 'us-central1',
    timeoutSec: 45,
  });
  assert.deepEqual(step?.inverse, {
    kind: 'patchBackendService',
    backendService: 'web-bs',
    region: 'us-central1',
    timeoutSec: 30,
  });
});
