/**
 * The remediation loop's pure parts (workflows/rules.ts, verify.ts, record.ts), without a server: when
 * a first round stops the run, what snapshot problems say, the error policy, the 5xx check after
 * HEALTHY, how rounds merge their findings, and the status query's shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { createDecideActivities, type Decision } from '../../activities/decide';
import type { Finding } from '../../core/causes';
import type { Diagnosis } from '../../core/classify';
import { FAILURE_TYPES } from '../../core/model';
import { scopeOfProjects } from '../../core/scope';
import { shippedPolicies } from '../helpers/approvers';
import { mergeDiagnosis, statusOf } from '../../workflows/record';
import { firstRoundEnding, missingFromSnapshot, onFailure, snapshotProblem } from '../../workflows/rules';
import { newRunState } from '../../workflows/state';
import { errorRateVerdict } from '../../workflows/verify';
import { broken, evidence, good } from '../helpers/evidence-fixture';

const { decide } = createDecideActivities(shippedPolicies(), scopeOfProjects(['p']));
const decided = (w = broken({ appPort: 9090 })): Promise<Decision> =>
  decide({ evidence: evidence(w), labels: {}, past: [], now: '2026-11-24T12:00:00.000Z', applied: [] });
const activityFailed = (cause: Error) =>
  new ActivityFailure('Activity task failed', 'snapshot', '3', RetryState.NON_RETRYABLE_FAILURE, '', cause);

test('a first round goes on only with steps lbmedic may apply now', async () => {
  const d = await decided();
  assert.equal(firstRoundEnding(d), undefined, 'steps, no dry run, limits allow: go on');

  const dry = firstRoundEnding({
    ...d,
    plan: { ...d.plan, dryRun: true, dryRunReasons: ['kill switch on'] },
  });
  assert.deepEqual(dry, { outcome: 'DRY_RUN', summary: 'plan recorded, nothing changed (kill switch on)' });

  const blocked = firstRoundEnding({ ...d, limits: { allowed: false, reason: 'daily limit: 3' } });
  assert.deepEqual(blocked, { outcome: 'BLOCKED_BY_LIMITS', summary: 'daily limit: 3', details: d.rendered });

  const escalation = {
    cause: 'KEEPALIVE_TOO_SHORT' as const,
    summary: 'keepalive',
    evidence: [],
    humanFix: 'raise the keepalive above 600s',
  };
  const nothing = firstRoundEnding({ ...d, plan: { ...d.plan, steps: [], escalations: [escalation] } });
  assert.equal(nothing?.outcome, 'ESCALATED');
  assert.equal(
    nothing?.summary,
    'nothing lbmedic may change: KEEPALIVE_TOO_SHORT: raise the keepalive above 600s',
  );

  const unknown = firstRoundEnding({
    ...d,
    diagnosis: { ...d.diagnosis, verdict: 'UNKNOWN', notes: ['logs unreadable'] },
    plan: { ...d.plan, escalations: [] },
  });
  assert.equal(unknown?.summary, 'nothing lbmedic may change: logs unreadable');
});

test('snapshot problems keep their real message: drift, a failed read, a missing entry', () => {
  const drift = ApplicationFailure.create({
    type: FAILURE_TYPES.drift,
    nonRetryable: true,
    message: 'healthCheck/web-hc changed since the plan was made',
  });
  assert.equal(
    snapshotProblem(activityFailed(drift)),
    'the resources changed since the diagnosis: healthCheck/web-hc changed since the plan was made',
  );
  const denied = ApplicationFailure.create({ type: FAILURE_TYPES.googlePermanent, message: '403 forbidden' });
  assert.equal(
    snapshotProblem(activityFailed(denied)),
    'the resources could not be read before changing them: 403 forbidden',
  );
  const steps = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  assert.equal(
    missingFromSnapshot(steps, [{ step: { id: 'a' } }, { step: { id: 'b' } }, { step: { id: 'c' } }]),
    undefined,
  );
  assert.equal(
    missingFromSnapshot(steps, [{ step: { id: 'b' } }]),
    'the resources changed since the diagnosis: the snapshot has no entry for a, c',
  );
});

test('the error policy, table-style', () => {
  const temporal = activityFailed(ApplicationFailure.create({ message: 'kept failing' }));
  const rows: { name: string; err: unknown; outcome?: 'REMEDIATED'; applied: number; action: string }[] = [
    {
      name: 'a bug before any change fails the task',
      err: new TypeError('x'),
      applied: 0,
      action: 'rethrow',
    },
    { name: 'a bug after a change rolls back', err: new TypeError('x'), applied: 1, action: 'roll back' },
    { name: 'a Temporal failure before any change escalates', err: temporal, applied: 0, action: 'escalate' },
    {
      name: 'a timeout is a Temporal failure',
      err: new TimeoutFailure('timed out', undefined, TimeoutType.START_TO_CLOSE),
      applied: 0,
      action: 'escalate',
    },
    { name: 'a Temporal failure after a change rolls back', err: temporal, applied: 2, action: 'roll back' },
    {
      name: 'a cancellation ends the run',
      err: new CancelledFailure('cancelled'),
      applied: 1,
      action: 'rethrow',
    },
    {
      name: 'anything after the outcome was recorded',
      err: temporal,
      outcome: 'REMEDIATED',
      applied: 1,
      action: 'rethrow',
    },
  ];
  for (const r of rows) {
    const s = { outcome: r.outcome, applied: Array.from({ length: r.applied }) };
    assert.equal(onFailure(r.err, s), r.action, r.name);
  }
});

test('after HEALTHY the 5xx share decides, unless too few responses say nothing', () => {
  assert.deepEqual(errorRateVerdict({ errors: 2, total: 100 }), {
    ok: true,
    notes: ['after HEALTHY: 2/100 LB responses were 5xx'],
  });
  assert.deepEqual(errorRateVerdict({ errors: 30, total: 100 }), {
    ok: false,
    notes: ['after HEALTHY: 30/100 LB responses were 5xx', '5xx still at 30.0% after HEALTHY'],
  });
  // HEALTHY all along (a fixed-port check) while the LB cannot connect: not a good fix.
  assert.deepEqual(
    errorRateVerdict({ errors: 40, total: 40, errorDetails: { failed_to_connect_to_backend: 40 } }),
    {
      ok: false,
      notes: [
        'after HEALTHY: 40/40 LB responses were 5xx (40 × failed_to_connect_to_backend)',
        '5xx still at 100.0% after HEALTHY',
      ],
    },
  );
  assert.deepEqual(errorRateVerdict({ errors: 4, total: 5 }), {
    ok: true,
    notes: ['after HEALTHY: 4/5 LB responses were 5xx (fewer than 20: too few to judge)'],
  });
});

test('later rounds add causes not found before; the first round findings stay', async () => {
  const first = (await decided()).diagnosis;
  assert.equal(mergeDiagnosis(undefined, first), first);
  const healthCheck: Finding = {
    cause: 'HEALTH_CHECK_MISMATCH',
    summary: 'HEALTH_CHECK_MISMATCH',
    evidence: [],
    fix: { cause: 'HEALTH_CHECK_MISMATCH', healthCheck: 'web-hc', port: 9090 },
  };
  const keepalive: Finding = {
    cause: 'KEEPALIVE_TOO_SHORT',
    summary: 'KEEPALIVE_TOO_SHORT',
    evidence: [],
    fix: { cause: 'KEEPALIVE_TOO_SHORT', requiredKeepaliveSec: 620 },
  };
  const later: Diagnosis = {
    ...first,
    verdict: 'FAULTS_FOUND',
    findings: [healthCheck, keepalive],
    notes: ['round 2'],
  };
  const merged = mergeDiagnosis(first, later);
  assert.deepEqual(
    merged.findings.map((f) => f.cause),
    [...first.findings.map((f) => f.cause), 'KEEPALIVE_TOO_SHORT'],
  );
  assert.equal(merged.findings[0], first.findings[0], 'the first round finding is kept as it was');
  assert.deepEqual(merged.notes, ['round 2']);
});

test('the status query shows the run state with the plan as people read it', async () => {
  const d = await decided(good);
  const s = newRunState({ project: 'p', backendService: 'web-bs', incidents: [] }, 'lbmedic/p/web-bs');
  assert.deepEqual(Object.keys(statusOf(s)).sort(), [
    'applied',
    'approval',
    'approvalDeadline',
    'approvals',
    'backendService',
    'diagnosis',
    'ignored',
    'impact',
    'incidents',
    'locks',
    'outcome',
    'phase',
    'plan',
    'project',
    'rejection',
    'siblings',
    'timeline',
    'workflowId',
  ]);
  s.plan = d.plan;
  s.renderedPlan = d.rendered;
  assert.equal((statusOf(s).plan as { rendered?: string }).rendered, d.rendered);
  assert.deepEqual(statusOf(s).impact, [], 'what each step also affects (none: nothing to change)');
  assert.equal(statusOf(s).phase, 'STARTING');
});
