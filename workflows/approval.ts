/**
 * Manual approval: who may approve or reject a plan and when (pure checks, unit-tested), the
 * signal/update handlers that apply them, and the wait for a decision.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { cut } from '../core/incidents';
import type { ApprovalRequest, ApprovalResult, Outcome } from '../core/model';
import type { Plan, PlanApproval } from '../core/plan';
import { continueFrom, type ResumePoint } from './continuation';
import { approveSignal, approveUpdate, rejectSignal } from './definitions';
import { historyFull } from './history-watch';
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

/** Names and reasons as kept in the record (a name is also a search attribute value). */
function bounded(req: ApprovalRequest): ApprovalRequest {
  return {
    approver: cut(req.approver, 128),
    ...(typeof req.reason === 'string' ? { reason: cut(req.reason, 512) } : {}),
  };
}

function recordApproval(rec: RunRecord, raw: ApprovalRequest): ApprovalResult {
  const s = rec.s;
  const req = bounded(raw);
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
    if (problem) rec.ignore(`approve by ${cut(String(req.approver), 128)} ignored: ${problem}`);
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
      rec.ignore(`reject by ${cut(String(req.approver), 128)} ignored: ${problem}`);
      return;
    }
    s.rejection = { ...bounded(req), at: now() };
    s.awaitingApproval = false;
  });
}

/**
 * Waits for the plan's approvals, a rejection, the incidents closing (if the policy says so) or the
 * deadline. Returns how the run ends when it must not go on, or undefined once approved. When the
 * history grows too long while it waits, the run continues as new from `point` and waits on there,
 * with the same plan, approvals and deadline.
 */
export async function awaitApproval(
  rec: RunRecord,
  plan: Plan,
  rendered: string,
  point: ResumePoint,
): Promise<Ending | undefined> {
  const s = rec.s;
  const rules = plan.approval;
  if (s.awaitingApproval && s.approvalDeadline) {
    rec.note(`continued as new: still waiting for ${rules.required} approval(s) until ${s.approvalDeadline}`);
  } else {
    s.awaitingApproval = true;
    s.approvals.length = 0;
    s.approvalDeadline = new Date(Date.now() + rules.timeoutSec * 1000).toISOString();
    rec.setPhase(
      'AWAITING_APPROVAL',
      `waiting for ${rules.required} approval(s) until ${s.approvalDeadline}`,
      `${rendered}\n\napprove: lbmedic approve ${s.workflowId} --as <you>\nreject:  lbmedic reject ${s.workflowId} --as <you> --reason <why>`,
    );
  }
  // Incidents that were only counted (core/incidents.ts) cannot be seen closing: then never cancel.
  const closed = () =>
    rules.cancelOnIncidentClosed &&
    s.overflow.deliveries === 0 &&
    rec.incidentIds().length > 0 &&
    rec.incidentIds().every((id) => s.incidents.has(`${id}/closed`));
  const remainingMs = Date.parse(s.approvalDeadline) - Date.now();
  const decided =
    remainingMs > 0 && (await condition(() => !s.awaitingApproval || closed() || historyFull(), remainingMs));
  if (decided && s.awaitingApproval && !closed()) return continueFrom(rec, 'approval', point);
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
