/**
 * Manual approval: the signal/update handlers that take approvals and rejections, the wait for them,
 * and the re-read of the resources between the last approval and the first change.
 *
 * A decision counts only when the recorded `checkDecision` local activity (activities/approvals.ts)
 * finds it signed by a registered approver's key over this run and this exact plan hash, in time (or,
 * when every policy says `authentication: open`, naming the plan hash). Then the rules that depend on
 * the run (pure, unit-tested here): the approver is one the plan lists, not the trigger, and neither
 * that key nor that person has approved already. Every refusal is recorded: the verdict and the
 * update's failure in history, the reason in `status` and the timeline.
 *
 * A long wait continues as new (workflows/continuation.ts) carrying the pending approval as it is:
 * its `run` stays the run that asked, so a decision signed for it verifies in every later run.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Decision } from '../activities/decide';
import type { Verdict } from '../activities/approvals';
import type { Evidence } from '../core/evidence';
import { cut } from '../core/incidents';
import type { ApprovalRequest, ApprovalResult, Outcome } from '../core/model';
import type { PlanApproval } from '../core/plan';
import { continueFrom, shouldContinueAsNew, type ResumePoint } from './continuation';
import { approveSignal, approveUpdate, rejectSignal } from './definitions';
import type { Ending, RunRecord } from './record';
import type { Decided, PendingApproval, RunState } from './state';

/** Verifying is CPU only: a second failure is a bug, and the message is refused with it. */
const checks = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 2 },
});

/** The failure type of a refused update: its message says why. */
export const APPROVAL_REFUSED = 'ApprovalRefused';
/** The failure type when the plan changed after the approval; details carry the new hash and plan. */
export const PLAN_CHANGED = 'PlanChanged';

/** What the approval checks look at. */
export interface ApprovalView {
  outcome?: Outcome | undefined;
  phase: string;
  awaitingApproval: boolean;
  /** The plan's approval rules; none before a plan exists. */
  rules: PlanApproval | undefined;
  /** Who asked for the remediation (self-approval). */
  triggeredBy: string | undefined;
  approvals: readonly Pick<Decided, 'approver' | 'key'>[];
  rejection?: Pick<Decided, 'approver'> | undefined;
}

export function approvalView(s: RunState): ApprovalView {
  return { ...s, rules: s.approval?.rules ?? s.plan?.approval, triggeredBy: s.input.triggeredBy };
}

/** Why nothing can be decided now, or undefined while a plan waits. */
export function notPending(v: ApprovalView): string | undefined {
  if (v.outcome) return `nothing to approve: the remediation ended (${v.outcome})`;
  if (!v.awaitingApproval || !v.rules) {
    return v.approvals.length > 0 || v.rejection
      ? 'already decided'
      : `nothing to approve (phase ${v.phase})`;
  }
  return undefined;
}

/** Why a verified approval by `who` may not count now, or undefined when it may. */
export function approvalProblem(
  v: ApprovalView,
  who: { approver: string; key?: string | undefined },
): string | undefined {
  const pending = notPending(v);
  if (pending) return pending;
  const { approvers, allowSelfApproval } = v.rules!;
  if (approvers.length > 0 && !approvers.includes(who.approver)) {
    return `${who.approver} may not approve; approvers: ${approvers.join(', ')}`;
  }
  if (!allowSelfApproval && v.triggeredBy && who.approver === v.triggeredBy) {
    return `${who.approver} triggered this remediation and the policy does not allow self-approval`;
  }
  const sameKey = who.key ? v.approvals.find((x) => x.key === who.key) : undefined;
  if (sameKey) return `key ${who.key} has already approved (as ${sameKey.approver})`;
  if (v.approvals.some((x) => x.approver === who.approver)) return `${who.approver} has already approved`;
  return undefined;
}

/** Why a verified rejection by `who` may not count now, or undefined when it may. */
export function rejectionProblem(v: ApprovalView, who: { approver: string }): string | undefined {
  if (!v.awaitingApproval) return 'nothing awaits approval';
  if (v.rules && v.rules.approvers.length > 0 && !v.rules.approvers.includes(who.approver)) {
    return `${who.approver} may not reject; approvers: ${v.rules.approvers.join(', ')}`;
  }
  return undefined;
}

const now = () => new Date().toISOString();

/** A refusal: kept in the state (bounded) and the timeline, and thrown to an update's caller. */
function refuse(rec: RunRecord, what: string, who: string | undefined, why: string): string {
  const line = `${what} by ${who === undefined ? 'someone' : cut(String(who), 128)} refused: ${why}`;
  rec.ignore(line);
  rec.note(line);
  return why;
}

/** Checks a message against the plan that waits; returns who decided, or why it does not count. */
async function verify(
  rec: RunRecord,
  req: ApprovalRequest,
  decision: 'approve' | 'reject',
): Promise<{ decided: Decided; pending: PendingApproval } | { refusal: string }> {
  const s = rec.s;
  const pending = s.approval;
  const what = decision === 'approve' ? 'approval' : 'rejection';
  if (!pending || !s.awaitingApproval) {
    return {
      refusal: refuse(rec, what, req?.approver, notPending(approvalView(s)) ?? 'nothing awaits approval'),
    };
  }
  const verdict: Verdict = await checks.checkDecision({
    request: req,
    decision,
    expect: { workflow: s.workflowId, run: pending.run, plan: pending.plan },
    approval: pending.rules,
    now: now(),
  });
  if (!verdict.ok) return { refusal: refuse(rec, what, verdict.approver ?? req?.approver, verdict.refusal) };
  // The run may have moved on while the signature was checked.
  if (s.approval !== pending)
    return { refusal: refuse(rec, what, verdict.approver, 'wrong plan hash: the plan changed meanwhile') };
  const decided: Decided = {
    // Bounded as kept in the record (a name is also a search attribute value).
    approver: cut(verdict.approver, 128),
    ...(verdict.reason ? { reason: cut(verdict.reason, 512) } : {}),
    at: now(),
    plan: pending.plan,
    ...(verdict.key ? { key: verdict.key, payload: verdict.payload, signature: verdict.signature } : {}),
    ...(verdict.issued ? { issued: verdict.issued } : {}),
  };
  const problem =
    decision === 'approve'
      ? approvalProblem(approvalView(s), decided)
      : rejectionProblem(approvalView(s), decided);
  if (problem) return { refusal: refuse(rec, what, decided.approver, problem) };
  return { decided, pending };
}

/**
 * Counts an approval. When it completes the count, approvals older than the policy's approvalTtl are
 * dropped first (each must count when the plan goes ahead, not only when it arrived).
 */
function count(rec: RunRecord, d: Decided, pending: PendingApproval): ApprovalResult {
  const s = rec.s;
  const { required, ttlSec } = pending.rules;
  s.approvals.push(d);
  const signed = d.key ? ` with ${d.key}` : '';
  rec.note(
    `approved by ${d.approver}${signed}${d.reason ? `: ${d.reason}` : ''} (${s.approvals.length}/${required})`,
  );
  if (s.approvals.length >= required) {
    const limit = Date.now() - ttlSec * 1000;
    for (const old of s.approvals.filter((a) => a.issued && Date.parse(a.issued) < limit)) {
      s.approvals.splice(s.approvals.indexOf(old), 1);
      refuse(
        rec,
        'approval',
        old.approver,
        `expired: issued ${old.issued}, older than approvalTtl (${ttlSec}s); approve again`,
      );
    }
  }
  if (s.approvals.length >= required) s.awaitingApproval = false;
  return {
    accepted: true,
    approver: d.approver,
    ...(d.key ? { key: d.key } : {}),
    approvals: s.approvals.length,
    required,
    phase: s.awaitingApproval ? s.phase : 'APPROVED',
  };
}

/** The answer to the approval that completed the count, once the resources were read again. */
async function afterRecheck(rec: RunRecord, pending: PendingApproval, result: ApprovalResult) {
  await condition(() => pending.check !== undefined || rec.s.outcome !== undefined);
  const check = pending.check;
  if (check && !check.fresh) {
    throw ApplicationFailure.create({
      type: PLAN_CHANGED,
      nonRetryable: true,
      message: `wrong plan hash: the resources changed after the approval, so the plan did too; approve the new plan ${check.plan}:\n${check.rendered}`,
      details: [{ plan: check.plan, rendered: check.rendered }],
    });
  }
  return result;
}

/**
 * The approve signal and update and the reject signal. The update's validator refuses only when
 * nothing waits (nothing reaches history); every other refusal is a failed update, recorded.
 */
export function installApprovalHandlers(rec: RunRecord): void {
  const s = rec.s;
  setHandler(approveSignal, async (req) => {
    const v = await verify(rec, req, 'approve');
    if ('decided' in v) count(rec, v.decided, v.pending);
  });
  setHandler(
    approveUpdate,
    async (req) => {
      const v = await verify(rec, req, 'approve');
      if ('refusal' in v)
        throw ApplicationFailure.create({ type: APPROVAL_REFUSED, nonRetryable: true, message: v.refusal });
      const result = count(rec, v.decided, v.pending);
      return s.awaitingApproval ? result : afterRecheck(rec, v.pending, result);
    },
    {
      validator: (_req: ApprovalRequest) => {
        const problem = notPending(approvalView(s));
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(rejectSignal, async (req) => {
    const v = await verify(rec, req, 'reject');
    if ('refusal' in v) return;
    s.rejection = v.decided;
    s.awaitingApproval = false;
    upsertMemo({ rejection: memoRecord(v.decided) });
  });
}

/** What the memo keeps of a decision: the Temporal UI shows it; `history --verify` checks it. */
function memoRecord(d: Decided) {
  return {
    approver: d.approver,
    key: d.key ?? 'unsigned (authentication: open)',
    at: d.at,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.payload ? { payload: d.payload, signature: d.signature } : {}),
  };
}

/** The plan an approval is for: the unit of change (a later round's extends the applied steps). */
const subjectOf = (d: Decision): NonNullable<Decision['extended']> => d.extended ?? d;

/**
 * Waits for the plan's approvals, a rejection, the incidents closing (if the policy says so) or the
 * deadline. Returns how the run ends when it must not go on, or undefined once approved. When the
 * history grows too long meanwhile, the run continues as new from `point` and waits on there with the
 * same pending approval (its run id included), approvals so far and deadline.
 */
async function waitForApprovals(rec: RunRecord, point: ResumePoint): Promise<Ending | undefined> {
  const s = rec.s;
  const d = point.decision;
  const rules = d.plan.approval;
  const subject = subjectOf(d);
  if (s.awaitingApproval && s.approval && s.approvalDeadline) {
    rec.note(`continued as new: still waiting for ${rules.required} approval(s) until ${s.approvalDeadline}`);
  } else {
    startWaiting(rec, d);
  }
  // Incidents that were only counted (core/incidents.ts) cannot be seen closing: then never cancel.
  const closed = () =>
    rules.cancelOnIncidentClosed &&
    s.overflow.deliveries === 0 &&
    rec.incidentIds().length > 0 &&
    rec.incidentIds().every((id) => s.incidents.has(`${id}/closed`));
  const remainingMs = Date.parse(s.approvalDeadline!) - Date.now();
  const decided =
    remainingMs > 0 &&
    (await condition(() => !s.awaitingApproval || closed() || shouldContinueAsNew(rec), remainingMs));
  if (decided && s.awaitingApproval && !closed()) {
    await continueFrom(rec, 'approval', point, () => s.awaitingApproval);
    // Still here: an approval or rejection in flight ended the wait; go on from it below.
  }
  s.awaitingApproval = false;
  if (s.rejection) {
    const { approver, reason } = s.rejection;
    return { outcome: 'REJECTED', summary: `rejected by ${approver}${reason ? `: ${reason}` : ''}` };
  }
  if (!decided) {
    return rules.onTimeout === 'reject'
      ? {
          outcome: 'REJECTED',
          summary: `no approval within ${rules.timeoutSec}s; the policy rejects on timeout`,
        }
      : {
          outcome: 'APPROVAL_TIMEOUT',
          summary: `no approval within ${rules.timeoutSec}s; escalated`,
          details: subject.rendered,
        };
  }
  if (s.approvals.length < rules.required) {
    return {
      outcome: 'CANCELLED',
      summary: 'the incident closed while waiting for approval; nothing changed',
    };
  }
  return undefined;
}

/** A new wait: the approval this run asks for (naming this run), its deadline, and how to decide. */
function startWaiting(rec: RunRecord, d: Decision): void {
  const s = rec.s;
  const rules = d.plan.approval;
  const subject = subjectOf(d);
  s.approval = { run: workflowInfo().runId, plan: subject.planHash, rendered: subject.rendered, rules };
  s.awaitingApproval = true;
  s.approvals.length = 0;
  s.approvalDeadline = new Date(Date.now() + rules.timeoutSec * 1000).toISOString();
  const how =
    rules.authentication === 'open'
      ? `approve: lbmedic approve ${s.workflowId} --as <you>   (authentication OPEN: not signed)`
      : `approve: lbmedic approve ${s.workflowId}   (signs plan ${subject.planHash} with your SSH key)`;
  rec.setPhase(
    'AWAITING_APPROVAL',
    `waiting for ${rules.required} approval(s) until ${s.approvalDeadline}`,
    `${subject.rendered}\n\n${how}\nreject:  lbmedic reject ${s.workflowId} --reason <why>`,
  );
}

/** A diagnosis round's result, as the loop carries it. */
export interface Diagnosed {
  evidence: Evidence;
  decision: Decision;
}

/**
 * Waits for approval of `current`'s plan; once approved, reads the resources again (`replan`) and
 * goes ahead only when that gives the same plan hash. Otherwise the approval is refused (the update's
 * failure carries the new plan) and the new plan waits for approval in its turn. Returns how the run
 * ends, or the fresh diagnosis to apply. `at` says where a continuation resumes (with the plan waiting).
 */
export async function awaitApproval(
  rec: RunRecord,
  current: Diagnosed,
  replan: () => Promise<Diagnosed>,
  at: Omit<ResumePoint, 'evidence' | 'decision'>,
): Promise<Ending | Diagnosed> {
  for (;;) {
    const ending = await waitForApprovals(rec, { ...at, ...current });
    if (ending) return ending;
    const pending = rec.s.approval!;
    rec.note(`approved; reading the resources again before changing anything`);
    const fresh = await replan();
    if (fresh.decision.outOfScope !== undefined) {
      // The scope narrowed during the wait: the approval counts, and the caller ends the run outside it.
      pending.check = { fresh: true };
      await condition(allHandlersFinished);
      return fresh;
    }
    const next = subjectOf(fresh.decision);
    // The hash covers every step's exact before → after: only the plan that was signed applies.
    if (next.planHash === pending.plan) {
      pending.check = { fresh: true };
      rec.recordApprovers();
      upsertMemo({ approvedPlan: pending.plan, approvals: rec.s.approvals.map(memoRecord) });
      await condition(allHandlersFinished);
      // The plan that was signed, checked against what was just read.
      return { evidence: fresh.evidence, decision: current.decision };
    }
    pending.check = { fresh: false, plan: next.planHash, rendered: next.rendered };
    rec.note(`the plan changed since it was approved (${pending.plan} → ${next.planHash}): approve it again`);
    await condition(allHandlersFinished);
    if (fresh.decision.newSteps.length === 0)
      return {
        outcome: 'CANCELLED',
        summary: 'the resources changed while waiting for approval; nothing is left to change',
      };
    if (fresh.decision.plan.dryRun)
      return {
        outcome: 'DRY_RUN',
        summary: `plan recorded, nothing changed (${fresh.decision.plan.dryRunReasons.join('; ')})`,
      };
    rec.planned(next.plan, next.rendered, !fresh.decision.extended);
    current = fresh;
  }
}
