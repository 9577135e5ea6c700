/**
 * The approval rules of workflows/approval.ts that depend on the run, without a server: once a
 * decision is verified (signed by whom, with which key), who may approve or reject, and when.
 */
import { scopeOfProjects } from '../../core/scope';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlanApproval } from '../../core/plan';
import { createDecideActivities } from '../../activities/decide';
import { latencyPercentiles } from '../../activities/backend-latency';
import { planHash } from '../../activities/plan-hash';
import { approvalProblem, rejectionProblem, type ApprovalView } from '../../workflows/approval';
import { shippedPolicies } from '../helpers/approvers';
import { evidence, good } from '../helpers/evidence-fixture';

const rules: PlanApproval = {
  mode: 'manual',
  approvers: ['alice', 'bob'],
  authentication: 'signed',
  signers: [],
  ttlSec: 1800,
  required: 2,
  allowSelfApproval: false,
  timeoutSec: 3600,
  onTimeout: 'escalate',
  cancelOnIncidentClosed: true,
};
const waiting: ApprovalView = {
  phase: 'AWAITING_APPROVAL',
  awaitingApproval: true,
  rules,
  triggeredBy: 'bob',
  approvals: [],
};

test('who may approve, and when, table-style', () => {
  const rows: { name: string; view: ApprovalView; approver: string; problem: string | undefined }[] = [
    { name: 'an allowed approver while waiting', view: waiting, approver: 'alice', problem: undefined },
    {
      name: 'not on the list',
      view: waiting,
      approver: 'mallory',
      problem: 'mallory may not approve; approvers: alice, bob',
    },
    {
      name: 'an empty list lets anyone approve',
      view: { ...waiting, rules: { ...rules, approvers: [] } },
      approver: 'mallory',
      problem: undefined,
    },
    {
      name: 'the trigger may not approve its own remediation',
      view: waiting,
      approver: 'bob',
      problem: 'bob triggered this remediation and the policy does not allow self-approval',
    },
    {
      name: 'unless the policy allows self-approval',
      view: { ...waiting, rules: { ...rules, allowSelfApproval: true } },
      approver: 'bob',
      problem: undefined,
    },
    {
      name: 'the same approver twice',
      view: { ...waiting, approvals: [{ approver: 'alice' }] },
      approver: 'alice',
      problem: 'alice has already approved',
    },
    {
      name: 'a key that already approved, whatever name it signs',
      view: { ...waiting, triggeredBy: undefined, approvals: [{ approver: 'alice', key: 'SHA256:alice' }] },
      approver: 'bob',
      problem: 'key SHA256:alice has already approved (as alice)',
    },
    {
      name: 'nothing pending yet',
      view: { ...waiting, phase: 'DIAGNOSING', awaitingApproval: false, rules: undefined },
      approver: 'alice',
      problem: 'nothing to approve (phase DIAGNOSING)',
    },
    {
      name: 'already approved by enough people',
      view: { ...waiting, phase: 'APPLYING', awaitingApproval: false, approvals: [{ approver: 'alice' }] },
      approver: 'bob',
      problem: 'already decided',
    },
    {
      name: 'already rejected',
      view: { ...waiting, awaitingApproval: false, rejection: { approver: 'bob' } },
      approver: 'alice',
      problem: 'already decided',
    },
    {
      name: 'the remediation ended',
      view: { ...waiting, phase: 'DONE', awaitingApproval: false, outcome: 'APPROVAL_TIMEOUT' },
      approver: 'alice',
      problem: 'nothing to approve: the remediation ended (APPROVAL_TIMEOUT)',
    },
  ];
  for (const r of rows) {
    assert.equal(approvalProblem(r.view, { approver: r.approver, key: 'SHA256:alice' }), r.problem, r.name);
  }
});

test('who may reject, and when, table-style', () => {
  const rows: { name: string; view: ApprovalView; approver: string; problem: string | undefined }[] = [
    { name: 'an approver while waiting', view: waiting, approver: 'bob', problem: undefined },
    {
      name: 'not an approver',
      view: waiting,
      approver: 'mallory',
      problem: 'mallory may not reject; approvers: alice, bob',
    },
    {
      name: 'anyone when the list is empty',
      view: { ...waiting, rules: { ...rules, approvers: [] } },
      approver: 'mallory',
      problem: undefined,
    },
    {
      name: 'nothing awaits approval',
      view: { ...waiting, awaitingApproval: false },
      approver: 'bob',
      problem: 'nothing awaits approval',
    },
  ];
  for (const r of rows) {
    assert.equal(rejectionProblem(r.view, { approver: r.approver }), r.problem, r.name);
  }
});

/** One request of `ms` in the load balancer's backend_latencies buckets (exponential, factor 1.4). */
const slowest = (ms: number) => {
  const bounds = Array.from({ length: 67 }, (_, i) => 1.4 ** i);
  const counts = bounds.map((b, i) => (ms <= b && (i === 0 || ms > bounds[i - 1]!) ? 1 : 0));
  const d = {
    bucketOptions: { exponentialBuckets: { numFiniteBuckets: 66, growthFactor: 1.4, scale: 1 } },
    bucketCounts: counts,
  };
  return latencyPercentiles([d]).max!;
};

test('a fresh read of the same state gives the same plan hash; a moved value gives another', async () => {
  const { decide } = createDecideActivities(shippedPolicies(), scopeOfProjects(['p']));
  const hashOf = async (timeoutSec: number, latencyMs: number) =>
    planHash(
      (
        await decide({
          evidence: evidence({
            ...good,
            timeoutSec,
            logs: { backend_timeout: 9 },
            latencyMaxMs: slowest(latencyMs),
          }),
          labels: {},
          past: [],
          now: '2026-11-30T12:00:00.000Z',
          applied: [],
        })
      ).plan,
    );
  const approved = await hashOf(30, 45_000);
  // The timeout is sized from the latency bucket's bound: slow requests that jitter within one bucket
  // (40 s and 45 s both fall in (33.9 s, 47.4 s]) give the very same plan, so the approval holds.
  assert.equal(await hashOf(30, 40_000), approved);
  // The slowest requests moved to another bucket (40% slower): a new plan, approved again.
  assert.notEqual(await hashOf(30, 60_000), approved);
  // Someone raised the timeout meanwhile: a new plan.
  assert.notEqual(await hashOf(40, 45_000), approved);
});
