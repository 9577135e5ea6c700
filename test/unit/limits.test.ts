import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLimits, type PastRemediation } from '../../core/limits';

const now = new Date('2026-11-24T12:00:00Z');
const ago = (minutes: number, outcome: string): PastRemediation => ({
  workflowId: `wf-${minutes}`,
  runId: `run-${minutes}`,
  closedAt: new Date(now.getTime() - minutes * 60_000).toISOString(),
  outcome,
});
const limits = { cooldownSec: 1800, maxPerDay: 3, circuitBreakerFailures: 2 };

test('limits across runs, table-style', () => {
  const rows: {
    name: string;
    past: PastRemediation[];
    allowed: boolean;
    reason?: RegExp;
    maxPerDay?: number;
  }[] = [
    { name: 'no history', past: [], allowed: true },
    {
      name: 'in cooldown',
      past: [ago(10, 'REMEDIATED')],
      allowed: false,
      reason: /^cooldown: .* closed 600s ago; the policy asks for 1800s/,
    },
    { name: 'after cooldown', past: [ago(40, 'REMEDIATED')], allowed: true },
    {
      name: 'runs that changed nothing do not count',
      past: [ago(1, 'DRY_RUN'), ago(2, 'REJECTED'), ago(3, 'NO_FAULT')],
      allowed: true,
    },
    {
      name: 'daily maximum',
      past: [ago(60, 'REMEDIATED'), ago(120, 'REMEDIATED'), ago(180, 'REMEDIATED')],
      allowed: false,
      reason: /^daily limit: 3 remediations in the last 24h; the policy allows 3/,
    },
    {
      name: 'older than a day',
      past: [ago(60 * 25, 'REMEDIATED'), ago(60 * 26, 'REMEDIATED'), ago(60 * 27, 'REMEDIATED')],
      allowed: true,
    },
    {
      name: 'circuit breaker after two failures',
      past: [ago(60, 'ROLLED_BACK'), ago(120, 'ROLLBACK_FAILED')],
      allowed: false,
      reason: /^circuit breaker: the last 2 remediations failed/,
    },
    {
      name: 'a success resets the breaker',
      past: [ago(60, 'ROLLED_BACK'), ago(120, 'REMEDIATED'), ago(180, 'ROLLED_BACK')],
      allowed: true,
      maxPerDay: 5,
    },
  ];
  for (const r of rows) {
    const v = checkLimits(r.past, { ...limits, maxPerDay: r.maxPerDay ?? limits.maxPerDay }, now);
    assert.equal(v.allowed, r.allowed, r.name);
    if (!v.allowed && r.reason) assert.match(v.reason, r.reason, r.name);
  }
});
