/**
 * The pure parts of earned autonomy (core/autonomy.ts, core/backtest.ts, the policy schema), table
 * style: how modes are written and resolved, the promotion rule, the record's fold, what a backtest
 * calls a difference, and the tables `policies stats` and `backtest` print.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStats } from '../../cli/policy-stats';
import {
  emptyRecord,
  foldRecords,
  planAutonomy,
  policyMode,
  promotion,
  type AutonomyMemo,
  type PolicyRecord,
  type RunSummary,
} from '../../core/autonomy';
import { diffDecisions, renderBacktest, type DecisionView } from '../../core/backtest';
import { requirePerson } from '../../core/approval-floor';
import { classify } from '../../core/classify';
import { buildPlan } from '../../core/plan';
import { renderPlan } from '../../core/plan-render';
import { Policy } from '../../policies/schema';
import { DEFAULT_POLICY_DIR, loadPolicies } from '../../runtime/policy-loader';
import { FIXTURE_APPROVERS } from '../helpers/approvers';
import { broken, evidence } from '../helpers/evidence-fixture';

const base = {
  name: 'p',
  match: { causes: ['BACKEND_TIMEOUT'] },
  action: { type: 'raiseBackendTimeout' },
};
const parse = (approval: unknown) => Policy.safeParse({ ...base, approval });

test('modes as written: observe, suggest, auto; manual reads as suggest; promote only on suggest', () => {
  const rows: [unknown, string | RegExp][] = [
    [{}, 'suggest'],
    [{ mode: 'manual' }, 'suggest'],
    [{ mode: 'observe' }, 'observe'],
    [{ mode: 'auto' }, 'auto'],
    [{ mode: 'yolo' }, /expected observe \(never apply\), suggest \(a person approves\) or auto/],
    [{ mode: 'auto', promote: { after: 3 } }, /promote earns automatic mode for a suggest policy/],
    [{ mode: 'suggest', promote: { after: 0 } }, /Too small/],
    [{ mode: 'suggest', promote: { after: 3, maxRollbackRate: 'lots' } }, /expected a percentage such as 5%/],
    [{ mode: 'suggest', promote: { after: 3, maxRollbackRate: '150%' } }, /must be at most 100%/],
  ];
  for (const [approval, want] of rows) {
    const r = parse(approval);
    if (typeof want === 'string') {
      assert.ok(r.success, JSON.stringify(r.error?.issues));
      assert.equal(r.data.approval.mode, want, JSON.stringify(approval));
    } else {
      assert.ok(!r.success, JSON.stringify(approval));
      assert.match(r.error.issues.map((i) => i.message).join('; '), want);
    }
  }
  const promoted = parse({ mode: 'suggest', promote: { after: 10, maxRollbackRate: '5%' } });
  assert.ok(promoted.success);
  assert.deepEqual(promoted.data.approval.promote, { after: 10, maxRollbackRate: 0.05, window: 30 * 86_400 });
});

const record = (r: Partial<PolicyRecord>): PolicyRecord => ({ ...emptyRecord(), ...r });

test('the promotion rule: enough verified in a row since the last rollback, and a low rollback rate', () => {
  const promote = { after: 3, maxRollbackRate: 0.25, window: 86_400 };
  const rows: [string, PolicyRecord | undefined, boolean, RegExp][] = [
    ['no record', undefined, false, /^not earned yet: 0\/3 verified since the last rollback$/],
    ['2 of 3', record({ applied: 2, verified: 2, streak: 2 }), false, /2\/3 verified/],
    [
      '3 in a row',
      record({ applied: 3, verified: 3, streak: 3 }),
      true,
      /^earned, 3\/3 verified since the last rollback, rollback rate 0%$/,
    ],
    [
      '3 in a row but 2 of 5 rolled back',
      record({ applied: 5, verified: 3, rolledBack: 2, streak: 3 }),
      false,
      /rollback rate 40% above 25% \(2\/5\)/,
    ],
    [
      '4 in a row, 1 of 5 rolled back',
      record({ applied: 5, verified: 4, rolledBack: 1, streak: 4 }),
      true,
      /rate 20%/,
    ],
  ];
  for (const [name, r, earned, text] of rows) {
    const v = promotion(promote, r);
    assert.equal(v.earned, earned, name);
    assert.match(v.text, text, name);
  }
});

test('mode resolution: each policy, then the strictest; a differing last mode is a change', () => {
  const p = (name: string, mode: 'observe' | 'suggest' | 'auto', promote?: number) => ({
    name,
    approval: {
      mode,
      ...(promote ? { promote: { after: promote, maxRollbackRate: 0.05, window: 86_400 } } : {}),
    },
  });
  const earned = { b: record({ applied: 2, verified: 2, streak: 2, lastMode: 'suggest' as const }) };
  const rows: [string, ReturnType<typeof p>[], string, RegExp, string[]][] = [
    ['auto alone', [p('a', 'auto')], 'auto', /^auto: policy a$/, []],
    ['the same mode, named together', [p('a', 'auto'), p('c', 'auto')], 'auto', /^auto: policies a, c$/, []],
    ['suggest beats auto', [p('a', 'auto'), p('b', 'suggest')], 'suggest', /^suggest: policy b$/, []],
    [
      'observe beats all',
      [p('a', 'auto'), p('b', 'suggest'), p('c', 'observe')],
      'observe',
      /^observe: policy c$/,
      [],
    ],
    [
      'earned',
      [p('a', 'auto'), p('b', 'suggest', 2)],
      'auto',
      /^auto: earned, 2\/2 verified since the last rollback, rollback rate 0% \(policy b promotes after 2\)$/,
      ['policy b promoted from suggest to auto'],
    ],
    ['not yet', [p('b', 'suggest', 3)], 'suggest', /^suggest: policy b, not earned yet: 2\/3 verified/, []],
  ];
  for (const [name, policies, mode, why, changes] of rows) {
    const a = planAutonomy(policies, earned);
    assert.equal(a.mode, mode, name);
    assert.match(a.why, why, name);
    assert.deepEqual(
      (a.changes ?? []).map((c) => c.replace(/:.*/, '')),
      changes,
      name,
    );
  }
  // A policy without promote keeps its mode whatever its record.
  assert.equal(policyMode(p('b', 'suggest'), earned).mode, 'suggest');
});

const memo = (m: Partial<AutonomyMemo>): AutonomyMemo => ({
  policies: ['p'],
  escalations: [],
  mode: 'suggest',
  modes: { p: 'suggest' },
  why: 'suggest: policy p',
  collateral: false,
  ...m,
});
const run = (minute: number, outcome: string, m: Partial<AutonomyMemo> = {}): RunSummary => ({
  closedAt: new Date(Date.UTC(2026, 10, 30, 12, minute)).toISOString(),
  outcome,
  autonomy: memo(m),
});

test('the record fold: counts per policy; the streak restarts at a rollback or collateral', () => {
  const runs = [
    // Out of order on purpose: the fold sorts by close time.
    run(5, 'REMEDIATED', { mode: 'auto', modes: { p: 'auto' } }),
    run(1, 'REMEDIATED'),
    run(2, 'ROLLED_BACK', { collateral: true }),
    run(3, 'REMEDIATED'),
    run(4, 'REMEDIATED'),
    run(6, 'OBSERVED', { policies: ['q'], modes: { q: 'observe' }, mode: 'observe' }),
    run(7, 'ESCALATED', { policies: [], escalations: ['q'], modes: {} }),
    run(8, 'REJECTED'),
  ];
  const r = foldRecords(runs);
  assert.deepEqual(r.p, {
    runs: 6,
    applied: 5,
    verified: 4,
    rolledBack: 1,
    collateral: 1,
    escalated: 0,
    observed: 0,
    streak: 3,
    lastMode: 'suggest',
  });
  assert.deepEqual(r.q, {
    runs: 2,
    applied: 0,
    verified: 0,
    rolledBack: 0,
    collateral: 0,
    escalated: 1,
    observed: 1,
    streak: 0,
    lastMode: 'observe',
  });
  // A change that hurt another backend service and was rolled back breaks the streak like any rollback.
  assert.equal(foldRecords([run(1, 'REMEDIATED'), run(2, 'ROLLED_BACK', { collateral: true })]).p?.streak, 0);
  assert.equal(
    renderStats(r, 2, '30d'),
    [
      'policy  runs  applied  verified  rolled back  collateral  escalated  observed  streak  success',
      'p          6        5         4            1           1          0         0       3      80%',
      'q          2        0         0            0           0          1         1       0        -',
      'closed in the last 30d; 2 closed run(s) left no record (started before records, or no plan)',
    ].join('\n'),
  );
});

test('a backtest difference: cause, plan, mode, each only when it differs', () => {
  const view = (v: Partial<DecisionView>): DecisionView => ({
    causes: ['BACKEND_TIMEOUT'],
    planHash: 'sha256:a',
    steps: ['backendService/web-bs timeoutSec: 30 → 68'],
    mode: 'suggest',
    ...v,
  });
  const rows: [string, DecisionView, object][] = [
    ['same', view({}), {}],
    ['mode', view({ mode: 'auto' }), { mode: { then: 'suggest', now: 'auto' } }],
    [
      'plan',
      view({ planHash: 'sha256:b', steps: [] }),
      { plan: { then: ['backendService/web-bs timeoutSec: 30 → 68'], now: [] } },
    ],
    ['cause', view({ causes: [] }), { cause: { then: ['BACKEND_TIMEOUT'], now: [] } }],
  ];
  for (const [name, now, want] of rows) assert.deepEqual(diffDecisions(view({}), now), want, name);
  const text = renderBacktest(
    [
      {
        workflowId: 'lbmedic/p/web-bs',
        runId: 'r2',
        closedAt: '2026-11-30T12:00:00.000Z',
        outcome: 'REMEDIATED',
        diff: diffDecisions(view({}), view({ mode: 'auto', planHash: 'sha256:b', steps: [] })),
      },
      {
        workflowId: 'lbmedic/p/web-bs',
        runId: 'r1',
        closedAt: '2026-11-30T11:00:00.000Z',
        outcome: 'REMEDIATED',
        diff: {},
      },
      {
        workflowId: 'lbmedic/p/api-bs',
        runId: 'r0',
        closedAt: '2026-11-30T10:00:00.000Z',
        outcome: 'DUPLICATE',
        skipped: 'no decision recorded',
      },
    ],
    '30d',
  );
  assert.equal(
    text,
    [
      'differs  lbmedic/p/web-bs  run r2  closed 2026-11-30T12:00:00.000Z  REMEDIATED',
      '    mode:  suggest → auto',
      '    plan then:',
      '      backendService/web-bs timeoutSec: 30 → 68',
      '    plan now:',
      '      (no change)',
      '1 of 2 decision(s) would differ, 1 the same, in remediations closed in the last 30d; 1 run(s) recorded no decision (nothing was changed)',
    ].join('\n'),
  );
});

test('a person asked for (the fleet breaker, an alert) makes an automatic plan suggest, and says why', () => {
  const policies = loadPolicies(DEFAULT_POLICY_DIR, { approverFiles: [FIXTURE_APPROVERS] });
  const ev = evidence(broken({ appPort: 9090 }));
  const plan = buildPlan(ev, classify(ev), policies);
  assert.equal(plan.autonomy?.mode, 'auto');
  const breaker = 'the fleet circuit breaker of p tripped at 2026-11-30T12:00:00Z';
  const held = requirePerson(plan, breaker);
  assert.equal(held.approval.mode, 'manual');
  assert.deepEqual([held.autonomy?.mode, held.autonomy?.why], ['suggest', `suggest: ${breaker}`]);
  assert.match(renderPlan(held), new RegExp(`^ {2}mode: {9}suggest: ${breaker}$`, 'm'));
  // The alert's label does the same inside the planner.
  const labelled = buildPlan(ev, classify(ev), policies, { lbmedic_approval: 'manual' });
  assert.equal(labelled.autonomy?.why, 'suggest: the alert carries lbmedic_approval=manual');
});
