/**
 * Manual approval: who may approve or reject a plan and when (pure checks, unit-tested), the
 * signal/update handlers that apply them, and the wait for a decision.
 */
import { condition, setHandler } from '@temporalio/workflow';
import type { ApprovalRequest, ApprovalResult, Outcome } from '../core/model';
import type { Plan, PlanApproval } from '../core/plan';
import { approveSignal, approveUpdate, rejectSignal } from './definitions';
import type { Ending, RunRecord } from './record';
import type { RunState } from './state';

/** What the approval checks look at. */
export interface ApprovalView {
  outcome?: Outcome | undefined;
  phase: string;
  awaitingApproval: boolean;
  /** The plan's approval rules; none before a plan exists. */
  rules: PlanApproval | undefined;
  /** Who asked for the remediation (self-approval). */
  triggeredBy: string | undefined;
  approvals: readonly ApprovalRequest[];
  rejection?: ApprovalRequest | undefined;
}

export function approvalView(s: RunState): ApprovalView {
  return { ...s, rules: s.plan?.approval, triggeredBy: s.input.triggeredBy };
}

/** Why `req` may not approve now, or undefined when it may. */
export function approvalProblem(v: ApprovalView, req: ApprovalRequest): string | undefined {
  if (v.outcome) return `nothing to approve: the remediation ended (${v.outcome})`;
  if (!v.awaitingApproval || !v.rules) {
    return v.approvals.length > 0 || v.rejection
      ? 'already decided'
      : `nothing to approve (phase ${v.phase})`;
  }
  if (!req.approver || typeof req.approver !== 'string') return 'an approval needs an approver';
  const { approvers, allowSelfApproval } = v.rules;
  if (approvers.length > 0 && !approvers.includes(req.approver)) {
    return `${req.approver} may not approve; approvers: ${approvers.join(', ')}`;
  }
  if (!allowSelfApproval && v.triggeredBy && req.approver === v.triggeredBy) {
    return `${req.approver} triggered this remediation and the policy does not allow self-approval`;
  }
  if (v.approvals.some((x) => x.approver === req.approver)) return `${req.approver} has already approved`;
  return undefined;
}

/** Why `req` may not reject now, or undefined when it may. */
export function rejectionProblem(v: ApprovalView, req: ApprovalRequest): string | undefined {
  if (!v.awaitingApproval) return 'nothing awaits approval';
  if (v.rules && v.rules.approvers.length > 0 && !v.rules.approvers.includes(req.approver)) {
    return 'not an approver';
  }
  return undefined;
}

const now = () => new Date().toISOString();

function recordApproval(rec: RunRecord, req: ApprovalRequest): ApprovalResult {
  const s = rec.s;
  s.approvals.push({ ...req, at: now() });
  const required = s.plan?.approval.required ?? 1;
  if (s.approvals.length >= required) s.awaitingApproval = false;
  rec.note(
    `approved by ${req.approver}${req.reason ? `: ${req.reason}` : ''} (${s.approvals.length}/${required})`,
  );
  return {
    accepted: true,
    approvals: s.approvals.length,
    required,
    phase: s.awaitingApproval ? s.phase : 'APPROVED',
  };
}

/**
 * The approve signal (refusals are kept in `ignored`), the approve update (its validator refuses before
 * anything reaches history) and the reject signal.
 */
export function installApprovalHandlers(rec: RunRecord): void {
  const s = rec.s;
  setHandler(approveSignal, (req) => {
    const problem = approvalProblem(approvalView(s), req);
    if (problem) s.ignored.push(`approve by ${String(req.approver)} ignored: ${problem}`);
    else recordApproval(rec, req);
  });
  setHandler(approveUpdate, (req) => recordApproval(rec, req), {
    validator: (req) => {
      const problem = approvalProblem(approvalView(s), req);
      if (problem) throw new Error(problem);
    },
  });
  setHandler(rejectSignal, (req) => {
    const problem = rejectionProblem(approvalView(s), req);
    if (problem) {
      s.ignored.push(`reject by ${String(req.approver)} ignored: ${problem}`);
      return;
    }
    s.rejection = { ...req, at: now() };
    s.awaitingApproval = false;
  });
}

/**
 * Waits for the plan's approvals, a rejection, the incidents closing (if the policy says so) or the
 * deadline. Returns how the run ends when it must not go on, or undefined once approved.
 */
export async function awaitApproval(
  rec: RunRecord,
  plan: Plan,
  rendered: string,
): Promise<Ending | undefined> {
  const s = rec.s;
  const rules = plan.approval;
  s.awaitingApproval = true;
  s.approvals.length = 0;
  const timeoutMs = rules.timeoutSec * 1000;
  s.approvalDeadline = new Date(Date.now() + timeoutMs).toISOString();
  rec.setPhase(
    'AWAITING_APPROVAL',
    `waiting for ${rules.required} approval(s) until ${s.approvalDeadline}`,
    `${rendered}\n\napprove: lbmedic approve ${s.workflowId} --as <you>\nreject:  lbmedic reject ${s.workflowId} --as <you> --reason <why>`,
  );
  const closed = () =>
    rules.cancelOnIncidentClosed &&
    rec.incidentIds().length > 0 &&
    rec.incidentIds().every((id) => s.incidents.has(`${id}/closed`));
  const decided = await condition(() => !s.awaitingApproval || closed(), timeoutMs);
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
          details: rendered,
        };
  }
  if (s.approvals.length < rules.required) {
    return {
      outcome: 'CANCELLED',
      summary: 'the incident closed while waiting for approval; nothing changed',
    };
  }
  rec.recordApprovers();
  return undefined;
}
