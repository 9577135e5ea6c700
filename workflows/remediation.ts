/**
 * RemediationWorkflow: one durable run per backend service that heals it or leaves it as it was.
 *
 * diagnose → plan → (dry-run: stop) → limits → approval → snapshot → apply → verify
 *   → healthy: REMEDIATED
 *   → not healthy: diagnose again (up to MAX_ROUNDS; new findings extend the same unit of change)
 *   → still not healthy: roll back every applied step from the snapshot, check it, escalate.
 * Orchestration only: decisions are pure code from core/ and policies/, I/O is in activities.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { classify, type Diagnosis, type RootCause } from '../core/classify';
import { collectEvidence, type EvidenceReaders } from '../core/collect';
import type { Evidence } from '../core/evidence';
import { checkLimits } from '../core/limits';
import {
  FAILURE_TYPES,
  type ApprovalRequest,
  type ApprovalResult,
  type Incident,
  type Outcome,
  type RemediationInput,
  type RemediationStatus,
} from '../core/model';
import type { Mutation } from '../core/mutation';
import { buildPlan, type Plan, type PlanStep } from '../core/plan';
import { renderPlan } from '../core/plan-render';
import { SA } from '../core/search-attributes';
import type { PolicySet } from '../policies/schema';
import { alertSignal, approveSignal, approveUpdate, rejectSignal, statusQuery } from './definitions';

/** Diagnose → apply → verify rounds before lbmedic gives up and rolls back. */
export const MAX_ROUNDS = 2;
/** A verified fix must also bring the LB's 5xx share of requests below this. */
export const MAX_ERROR_RATE_AFTER_FIX = 0.05;
/**
 * Fewer LB responses than this since HEALTHY say nothing about the 5xx share (2 of 5 is not 40%):
 * HEALTHY alone decides.
 */
export const MIN_RESPONSES_FOR_ERROR_RATE = 20;

/**
 * Reads are local activities: run by the worker inside the workflow task, recorded as markers, with no
 * task-queue round trip each (the diagnosis reads nine sources). A worker that dies while reading
 * loses its workflow task; the next worker reads again (reads change nothing).
 */
const reads = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // The Google clients already retry each read; this rides out longer outages (about 5 minutes).
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
});
const probe = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 2 },
});
/** The wait for HEALTHY: long, heartbeating; a new worker takes over within the heartbeat timeout. */
const watch = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
});
/** In-memory answers (the policies the worker validated at start-up): no task queue round trip. */
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });
const announce = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
});
const mutations = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 6 },
});

export interface RemediationResult {
  outcome: Outcome;
  summary: string;
  rootCauses: RootCause[];
  plan?: Plan;
  applied: string[];
  approvers: string[];
}

interface Approval extends ApprovalRequest {
  at: string;
}

const now = () => new Date().toISOString();

export async function remediationWorkflow(input: RemediationInput): Promise<RemediationResult> {
  const info = workflowInfo();
  const incidents = new Map<string, Incident>();
  for (const i of input.incidents) incidents.set(`${i.incidentId}/${i.state}`, i);
  let phase = 'STARTING';
  let diagnosis: Diagnosis | undefined;
  let plan: Plan | undefined;
  let awaitingApproval = false;
  let approvalDeadline: string | undefined;
  const approvals: Approval[] = [];
  let rejection: Approval | undefined;
  const ignored: string[] = [];
  const applied: { step: PlanStep; restore: Mutation }[] = [];
  const timeline: { at: string; phase: string; note: string }[] = [];
  let outcome: Outcome | undefined;

  const approvalProblem = (req: ApprovalRequest): string | undefined => {
    if (outcome) return `nothing to approve: the remediation ended (${outcome})`;
    if (!awaitingApproval || !plan) {
      return approvals.length > 0 || rejection ? 'already decided' : `nothing to approve (phase ${phase})`;
    }
    if (!req.approver || typeof req.approver !== 'string') return 'an approval needs an approver';
    const a = plan.approval;
    if (a.approvers.length > 0 && !a.approvers.includes(req.approver)) {
      return `${req.approver} may not approve; approvers: ${a.approvers.join(', ')}`;
    }
    if (!a.allowSelfApproval && input.triggeredBy && req.approver === input.triggeredBy) {
      return `${req.approver} triggered this remediation and the policy does not allow self-approval`;
    }
    if (approvals.some((x) => x.approver === req.approver)) return `${req.approver} has already approved`;
    return undefined;
  };
  const recordApproval = (req: ApprovalRequest): ApprovalResult => {
    approvals.push({ ...req, at: now() });
    const required = plan?.approval.required ?? 1;
    if (approvals.length >= required) awaitingApproval = false;
    note(
      `approved by ${req.approver}${req.reason ? `: ${req.reason}` : ''} (${approvals.length}/${required})`,
    );
    return {
      accepted: true,
      approvals: approvals.length,
      required,
      phase: awaitingApproval ? phase : 'APPROVED',
    };
  };

  setHandler(alertSignal, (incident) => {
    const key = `${incident.incidentId}/${incident.state}`;
    if (incidents.has(key)) return; // the same delivery again: one incident
    incidents.set(key, incident);
    upsertMemo({ incidents: incidentIds() });
  });
  setHandler(approveSignal, (req) => {
    const problem = approvalProblem(req);
    if (problem) ignored.push(`approve by ${String(req.approver)} ignored: ${problem}`);
    else recordApproval(req);
  });
  setHandler(approveUpdate, (req) => recordApproval(req), {
    validator: (req) => {
      const problem = approvalProblem(req);
      if (problem) throw new Error(problem);
    },
  });
  setHandler(rejectSignal, (req) => {
    if (!awaitingApproval) {
      ignored.push(`reject by ${String(req.approver)} ignored: nothing awaits approval`);
      return;
    }
    const a = plan?.approval;
    if (a && a.approvers.length > 0 && !a.approvers.includes(req.approver)) {
      ignored.push(`reject by ${String(req.approver)} ignored: not an approver`);
      return;
    }
    rejection = { ...req, at: now() };
    awaitingApproval = false;
  });
  setHandler(statusQuery, (): RemediationStatus => ({
    workflowId: info.workflowId,
    project: input.project,
    backendService: input.backendService,
    phase,
    outcome,
    incidents: [...incidents.values()],
    diagnosis,
    plan: plan && { ...plan, rendered: renderPlan(plan) },
    approvals,
    rejection,
    approvalDeadline,
    ignored,
    applied: applied.map((a) => a.step.id),
    timeline,
  }));

  function incidentIds(): string[] {
    return [...new Set([...incidents.values()].map((i) => i.incidentId))].sort();
  }
  function note(text: string) {
    timeline.push({ at: now(), phase, note: text });
    log.info(text, { phase });
  }
  /**
   * Tells people about a transition. Notifications go out one after another, in order, but the
   * remediation does not wait for them (a sink that is slow or down never holds up a fix); `finish`
   * waits for all of them, so the record is complete when the workflow ends.
   */
  let told: Promise<void> = Promise.resolve();
  function tell(summary: string, details?: string, result?: Outcome): Promise<void> {
    const event = {
      workflowId: info.workflowId,
      project: input.project,
      backendService: input.backendService,
      phase,
      ...(result ? { outcome: result } : {}),
      summary,
      ...(details ? { details } : {}),
      at: now(),
    };
    told = told.then(() =>
      announce.notify.executeWithOptions({ summary: `notify: ${result ?? event.phase}` }, [event]).then(
        () => undefined,
        (err: unknown) => note(`notification failed: ${failureMessage(err)}`),
      ),
    );
    return told;
  }
  function setPhase(next: string, text: string, details?: string) {
    phase = next;
    upsertSearchAttributes([{ key: SA.phase, value: next }]);
    note(text);
    void tell(text, details);
  }
  async function finish(result: Outcome, summary: string, details?: string): Promise<RemediationResult> {
    outcome = result;
    phase = 'DONE';
    const causes = diagnosis?.findings.map((f) => f.cause) ?? [];
    const actions = applied.map((a) => a.step.apply.kind);
    const approvers = approvals.map((a) => a.approver);
    upsertSearchAttributes([
      { key: SA.phase, value: 'DONE' },
      { key: SA.outcome, value: result },
      { key: SA.rootCause, value: [...new Set(causes)] },
      { key: SA.action, value: [...new Set(actions)] },
      { key: SA.approver, value: approvers },
    ]);
    upsertMemo({
      summary: `${result}: ${summary}`,
      ...(plan ? { plan: renderPlan(plan) } : {}),
      ...(details ? { details } : {}),
    });
    note(`${result}: ${summary}`);
    await tell(summary, details ?? (plan ? renderPlan(plan) : undefined), result);
    return {
      outcome: result,
      summary,
      rootCauses: causes,
      ...(plan ? { plan } : {}),
      applied: applied.map((a) => a.step.id),
      approvers,
    };
  }

  upsertSearchAttributes([
    { key: SA.project, value: input.project },
    { key: SA.backendService, value: input.backendService },
    { key: SA.phase, value: 'STARTING' },
  ]);
  upsertMemo({ incidents: incidentIds() });
  const target = { project: input.project, backendService: input.backendService };

  // Re-delivered incidents whose remediation already ended are not remediated twice.
  const [policies, history]: [PolicySet, Awaited<ReturnType<Activities['pastRemediations']>>] =
    await Promise.all([
      local.getPolicySet(),
      reads.pastRemediations({
        ...target,
        sinceHours: 24 * 7,
        incidentIds: incidentIds(),
        workflowId: info.workflowId,
        runId: info.runId,
      }),
    ]);
  if (history.unavailable) note(`limits and incident de-duplication not checked: ${history.unavailable}`);
  if (incidentIds().length > 0 && history.seenIncidents.length === incidentIds().length) {
    return finish(
      'DUPLICATE',
      `incident(s) ${history.seenIncidents.join(', ')} were handled by an earlier run`,
    );
  }

  const readers: EvidenceReaders = {
    readBackendService: reads.readBackendService,
    readHealth: reads.readHealth,
    readHealthCheck: reads.readHealthCheck,
    readFirewallRules: reads.readFirewallRules,
    readInstanceGroups: reads.readInstanceGroups,
    readLbLogs: reads.readLbLogs,
    readBackendLatency: reads.readBackendLatency,
    readNegs: reads.readNegs,
    probeInstances: probe.probeInstances,
  };
  /** The alert policies' user labels: policies may select on them. */
  const labels = (): Record<string, string> =>
    Object.assign({}, ...[...incidents.values()].map((i) => i.labels ?? {})) as Record<string, string>;

  /** Diagnose → plan → approve → apply → verify, in rounds; returns the outcome. */
  async function remediate(): Promise<RemediationResult> {
    let evidence: Evidence | undefined;
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      setPhase('DIAGNOSING', `round ${round}: collecting evidence`);
      evidence = await collectEvidence(readers, target, { windowMinutes: 10, now: now() });
      const found = classify(evidence);
      // Keep the first round's findings in the record; later rounds add what they found.
      diagnosis = diagnosis
        ? {
            ...found,
            findings: [
              ...diagnosis.findings,
              ...found.findings.filter((f) => !diagnosis!.findings.some((d) => d.cause === f.cause)),
            ],
          }
        : found;
      note(`diagnosis: ${found.verdict} ${found.findings.map((f) => f.cause).join(', ')}`);

      if (round === 1 && found.verdict === 'NO_FAULT')
        return finish('NO_FAULT', 'no fault found: backends healthy, no 5xx');
      const next = buildPlan(evidence, found, policies, labels());
      const newSteps = next.steps.filter((s) => !applied.some((a) => a.step.id === s.id));
      if (round === 1) {
        plan = next;
        upsertMemo({ plan: renderPlan(next) });
        if (found.verdict === 'UNKNOWN' || next.steps.length === 0) {
          const why =
            next.escalations.map((e) => `${e.cause}: ${e.humanFix}`).join('; ') || found.notes.join('; ');
          return finish(
            'ESCALATED',
            `nothing lbmedic may change: ${why || 'the cause is unknown'}`,
            renderPlan(next),
          );
        }
        if (next.dryRun)
          return finish('DRY_RUN', `plan recorded, nothing changed (${next.dryRunReasons.join('; ')})`);
        const limits = checkLimits(history.remediations, next.limits, new Date());
        if (!limits.allowed) return finish('BLOCKED_BY_LIMITS', limits.reason, renderPlan(next));
      } else {
        if (newSteps.length === 0 || next.dryRun) break;
        plan = { ...next, steps: [...applied.map((a) => a.step), ...newSteps] };
        note(`round ${round}: ${newSteps.length} more change(s): ${newSteps.map((s) => s.id).join(', ')}`);
      }

      if (next.approval.mode === 'manual') {
        awaitingApproval = true;
        approvals.length = 0;
        const timeoutMs = next.approval.timeoutSec * 1000;
        approvalDeadline = new Date(Date.now() + timeoutMs).toISOString();
        setPhase(
          'AWAITING_APPROVAL',
          `waiting for ${next.approval.required} approval(s) until ${approvalDeadline}`,
          `${renderPlan(next)}\n\napprove: lbmedic approve ${info.workflowId} --as <you>\nreject:  lbmedic reject ${info.workflowId} --as <you> --reason <why>`,
        );
        const closed = () =>
          next.approval.cancelOnIncidentClosed &&
          incidentIds().length > 0 &&
          incidentIds().every((id) => incidents.has(`${id}/closed`));
        const decided = await condition(() => !awaitingApproval || closed(), timeoutMs);
        awaitingApproval = false;
        if (rejection) {
          return finish(
            'REJECTED',
            `rejected by ${rejection.approver}${rejection.reason ? `: ${rejection.reason}` : ''}`,
          );
        }
        if (!decided) {
          return next.approval.onTimeout === 'reject'
            ? finish(
                'REJECTED',
                `no approval within ${next.approval.timeoutSec}s; the policy rejects on timeout`,
              )
            : finish(
                'APPROVAL_TIMEOUT',
                `no approval within ${next.approval.timeoutSec}s; escalated`,
                renderPlan(next),
              );
        }
        if (approvals.length < next.approval.required) {
          return finish('CANCELLED', 'the incident closed while waiting for approval; nothing changed');
        }
        upsertSearchAttributes([{ key: SA.approver, value: approvals.map((a) => a.approver) }]);
      }

      setPhase('SNAPSHOT', `reading ${newSteps.length} resource(s) before changing them`);
      let snapshot: { stepId: string; restore: Mutation }[];
      try {
        snapshot = await reads.snapshot({ project: input.project, steps: newSteps });
      } catch (err) {
        if (applied.length > 0) break;
        const drifted =
          err instanceof ActivityFailure &&
          err.cause instanceof ApplicationFailure &&
          err.cause.type === FAILURE_TYPES.drift;
        return finish(
          'ESCALATED',
          drifted
            ? `the resources changed since the diagnosis: ${failureMessage(err)}`
            : `the resources could not be read before changing them: ${failureMessage(err)}`,
        );
      }

      setPhase('APPLYING', `applying ${newSteps.length} change(s)`);
      let failure: string | undefined;
      for (const step of newSteps) {
        const restore = snapshot.find((s) => s.stepId === step.id)?.restore;
        if (!restore) continue;
        try {
          const result = await mutations.applyMutation.executeWithOptions(
            {
              summary: `apply ${step.id}: ${step.changes.map((c) => `${c.field} ${c.before}→${c.after}`).join(', ')}`,
            },
            [{ project: input.project, mutation: step.apply, requestId: uuid4() }],
          );
          applied.push({ step, restore });
          note(`${result} ${step.id}`);
        } catch (err) {
          failure = `${step.id}: ${failureMessage(err)}`;
          note(`apply failed: ${failure}`);
          break;
        }
      }
      upsertSearchAttributes([
        { key: SA.action, value: [...new Set(applied.map((a) => a.step.apply.kind))] },
      ]);
      if (failure) return rollBack(`applying failed (${failure})`);

      setPhase('VERIFYING', `waiting for ${Math.round(next.verification.healthyFraction * 100)}% HEALTHY`);
      const healthy = await verify(evidence, next, now());
      if (healthy) {
        const rate = await reads.countLbResponses({ ...target, since: healthy });
        const share = rate.total < MIN_RESPONSES_FOR_ERROR_RATE ? 0 : rate.errors / rate.total;
        note(
          `after HEALTHY: ${rate.errors}/${rate.total} LB responses were 5xx${
            rate.total < MIN_RESPONSES_FOR_ERROR_RATE
              ? ` (fewer than ${MIN_RESPONSES_FOR_ERROR_RATE}: too few to judge)`
              : ''
          }`,
        );
        if (share <= MAX_ERROR_RATE_AFTER_FIX) {
          return finish(
            'REMEDIATED',
            `${applied.map((a) => a.step.id).join(', ')} changed; backends HEALTHY${
              approvals.length ? `; approved by ${approvals.map((a) => a.approver).join(', ')}` : ''
            }`,
          );
        }
        note(`5xx still at ${(share * 100).toFixed(1)}% after HEALTHY`);
      }
    }
    return rollBack('the backends did not recover');
  }

  try {
    return await remediate();
  } catch (err) {
    // Anything unexpected (an activity that kept failing, a bug) must not leave a half-applied change.
    if (isCancellation(err) || outcome) throw err;
    if (applied.length > 0) return rollBack(`lbmedic failed while changing things: ${failureMessage(err)}`);
    return finish('ESCALATED', `lbmedic could not finish: ${failureMessage(err)}`);
  }

  /**
   * Waits for HEALTHY on the health check's physical schedule (activities/backend-health.ts
   * `awaitHealthy`); returns when HEALTHY (ISO) or undefined at the deadline.
   */
  async function verify(ev: Evidence, p: Plan, changedAt: string): Promise<string | undefined> {
    const hc = ev.healthCheck.ok ? ev.healthCheck.value : null;
    const deadlineMs = Date.now() + p.verification.deadlineSec * 1000;
    const r = await watch.awaitHealthy.executeWithOptions(
      {
        startToCloseTimeout: (p.verification.deadlineSec + 120) * 1000,
        summary: `wait for ${Math.round(p.verification.healthyFraction * 100)}% HEALTHY until ${new Date(deadlineMs).toISOString()}`,
      },
      [
        {
          ...target,
          changedAt,
          deadline: new Date(deadlineMs).toISOString(),
          healthyFraction: p.verification.healthyFraction,
          checkIntervalSec: hc?.checkIntervalSec ?? 5,
          healthyThreshold: hc?.healthyThreshold ?? 2,
        },
      ],
    );
    if (r.healthyAt) {
      note(`HEALTHY: ${r.healthy}/${r.total} after ${r.polls} getHealth poll(s)`);
      return r.healthyAt;
    }
    note(`deadline passed with ${r.healthy}/${r.total} HEALTHY after ${r.polls} getHealth poll(s)`);
    return undefined;
  }

  async function rollBack(why: string): Promise<RemediationResult> {
    if (plan?.rollback === 'never' || applied.length === 0) {
      return finish(
        'ESCALATED',
        `${why}; ${applied.length === 0 ? 'nothing was changed' : 'the policy forbids rollback'}`,
      );
    }
    setPhase('ROLLING_BACK', `${why}: restoring ${applied.length} resource(s) from the snapshot`);
    const restores = [...applied].reverse().map((a) => a.restore);
    const failed: string[] = [];
    for (const restore of restores) {
      try {
        await mutations.applyMutation.executeWithOptions({ summary: `roll back ${restore.kind}` }, [
          { project: input.project, mutation: restore, requestId: uuid4() },
        ]);
      } catch (err) {
        failed.push(failureMessage(err));
      }
    }
    setPhase('VERIFYING_ROLLBACK', 'checking every resource holds its snapshot again');
    const off = await reads.checkRestored({ project: input.project, restores });
    if (failed.length > 0 || off.length > 0) {
      return finish(
        'ROLLBACK_FAILED',
        `${why}; rollback incomplete: ${[...failed, ...off].join('; ')} — a person must act now`,
      );
    }
    return finish('ROLLED_BACK', `${why}; every change was rolled back and the snapshot restored; escalated`);
  }
}

function failureMessage(err: unknown): string {
  if (err instanceof ApplicationFailure) return err.message;
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : err.message;
  }
  return String(err);
}
