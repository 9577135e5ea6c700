/**
 * The record of a remediation run: its phase, the timeline, the notifications, the search attributes
 * and memo that make it findable, the outcome, and the status query that shows all of it. The loop
 * says what happened; this says it to Temporal and to people, always the same way.
 */
import { log, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { RootCause } from '../core/causes';
import type { Diagnosis } from '../core/classify';
import { failureMessage } from '../core/failure';
import type { Outcome, RemediationStatus, TransitionEvent } from '../core/model';
import type { Plan } from '../core/plan';
import { SA } from '../core/search-attributes';
import { alertSignal, statusQuery } from './definitions';
import { incidentKey, type RunState } from './state';
import { announce } from './stubs';

export interface RemediationResult {
  outcome: Outcome;
  summary: string;
  rootCauses: RootCause[];
  plan?: Plan;
  applied: string[];
  approvers: string[];
}

/** How a run ends: the outcome, one line for people and, optionally, the longer story. */
export interface Ending {
  outcome: Outcome;
  summary: string;
  details?: string;
}

const now = () => new Date().toISOString();

/** What the status query shows: the run's state, with the plan as people read it. */
export function statusOf(s: RunState): RemediationStatus {
  return {
    workflowId: s.workflowId,
    project: s.input.project,
    backendService: s.input.backendService,
    phase: s.phase,
    outcome: s.outcome,
    incidents: [...s.incidents.values()],
    diagnosis: s.diagnosis,
    plan: s.plan && { ...s.plan, rendered: s.renderedPlan },
    // What each change reaches besides the target (also in the rendered plan, "also affects: …").
    impact: s.plan?.steps.map((x) => ({ step: x.id, ...x.impact })),
    siblings: s.siblings,
    locks: { held: s.locks.held, ...(s.locks.flipFlop ? { flipFlop: s.locks.flipFlop } : {}) },
    approvals: s.approvals,
    rejection: s.rejection,
    approvalDeadline: s.approvalDeadline,
    approval: s.approval,
    ignored: s.ignored,
    applied: s.applied.map((a) => a.step.id),
    timeline: s.timeline,
  };
}

/**
 * A later round's diagnosis joins the record: the first round's findings stay, later rounds add the
 * causes not found before; the verdict, notes and health are the latest round's.
 */
export function mergeDiagnosis(before: Diagnosis | undefined, found: Diagnosis): Diagnosis {
  if (!before) return found;
  const added = found.findings.filter((f) => !before.findings.some((d) => d.cause === f.cause));
  return { ...found, findings: [...before.findings, ...added] };
}

/**
 * Writes the record of one run over its {@link RunState}: every phase change, note, notification,
 * search attribute and memo entry goes through here, so they always agree.
 */
export class RunRecord {
  /** The notifications so far, one after another (see {@link RunRecord.tell}). */
  private told: Promise<void> = Promise.resolve();

  constructor(readonly s: RunState) {}

  /** Handlers first thing in the run: alerts attach to it, the status query shows it. */
  installHandlers(): void {
    setHandler(alertSignal, (incident) => {
      if (this.s.incidents.has(incidentKey(incident))) return; // the same delivery again: one incident
      this.s.incidents.set(incidentKey(incident), incident);
      upsertMemo({ incidents: this.incidentIds() });
    });
    setHandler(statusQuery, () => statusOf(this.s));
  }

  /** Makes the run findable by project and backend service before anything else happens. */
  start(): void {
    upsertSearchAttributes([
      { key: SA.project, value: this.s.input.project },
      { key: SA.backendService, value: this.s.input.backendService },
      { key: SA.phase, value: 'STARTING' },
    ]);
    upsertMemo({ incidents: this.incidentIds() });
  }

  incidentIds(): string[] {
    return [...new Set([...this.s.incidents.values()].map((i) => i.incidentId))].sort();
  }

  /** The alert policies' user labels: policies may select on them. */
  labels(): Record<string, string> {
    const all = [...this.s.incidents.values()].map((i) => i.labels ?? {});
    return Object.assign({}, ...all) as Record<string, string>;
  }

  note(text: string): void {
    this.s.timeline.push({ at: now(), phase: this.s.phase, note: text });
    log.info(text, { phase: this.s.phase });
  }

  setPhase(next: string, text: string, details?: string): void {
    this.s.phase = next;
    upsertSearchAttributes([{ key: SA.phase, value: next }]);
    this.note(text);
    void this.tell(text, details);
  }

  diagnosed(found: Diagnosis): void {
    this.s.diagnosis = mergeDiagnosis(this.s.diagnosis, found);
    this.note(`diagnosis: ${found.verdict} ${found.findings.map((f) => f.cause).join(', ')}`);
  }

  /** The unit of change as it stands; the first plan is also kept in the memo. */
  planned(plan: Plan, rendered: string, first: boolean): void {
    this.s.plan = plan;
    this.s.renderedPlan = rendered;
    if (first) upsertMemo({ plan: rendered });
  }

  approvedBy(): string[] {
    return this.s.approvals.map((a) => a.approver);
  }

  /** Who approved, as a search attribute, as soon as the approval is complete. */
  recordApprovers(): void {
    upsertSearchAttributes([{ key: SA.approver, value: this.approvedBy() }]);
  }

  /** What kinds of change were made, as a search attribute, as soon as they are applied. */
  recordActions(): void {
    upsertSearchAttributes([
      { key: SA.action, value: [...new Set(this.s.applied.map((a) => a.step.apply.kind))] },
    ]);
  }

  /** Ends the run: outcome, search attributes, memo, the last notification (and all before it). */
  async finish(end: Ending): Promise<RemediationResult> {
    const s = this.s;
    s.outcome = end.outcome;
    s.phase = 'DONE';
    const causes = s.diagnosis?.findings.map((f) => f.cause) ?? [];
    upsertSearchAttributes([
      { key: SA.phase, value: 'DONE' },
      { key: SA.outcome, value: end.outcome },
      { key: SA.rootCause, value: [...new Set(causes)] },
      { key: SA.action, value: [...new Set(s.applied.map((a) => a.step.apply.kind))] },
      { key: SA.approver, value: this.approvedBy() },
    ]);
    upsertMemo({
      summary: `${end.outcome}: ${end.summary}`,
      ...(s.plan ? { plan: s.renderedPlan } : {}),
      ...(end.details ? { details: end.details } : {}),
    });
    this.note(`${end.outcome}: ${end.summary}`);
    await this.tell(end.summary, end.details ?? s.renderedPlan, end.outcome);
    return {
      outcome: end.outcome,
      summary: end.summary,
      rootCauses: causes,
      ...(s.plan ? { plan: s.plan } : {}),
      applied: s.applied.map((a) => a.step.id),
      approvers: this.approvedBy(),
    };
  }

  /**
   * Tells people about a transition. Notifications go out one after another, in order, but the
   * remediation does not wait for them (a sink that is slow or down never holds up a fix); `finish`
   * waits for all of them, so the record is complete when the workflow ends.
   */
  private tell(summary: string, details?: string, result?: Outcome): Promise<void> {
    const event: TransitionEvent = {
      workflowId: this.s.workflowId,
      project: this.s.input.project,
      backendService: this.s.input.backendService,
      phase: this.s.phase,
      ...(result ? { outcome: result } : {}),
      summary,
      ...(details ? { details } : {}),
      at: now(),
    };
    this.told = this.told.then(() =>
      announce.notify.executeWithOptions({ summary: `notify: ${result ?? event.phase}` }, [event]).then(
        () => undefined,
        (err: unknown) => this.note(`notification failed: ${failureMessage(err)}`),
      ),
    );
    return this.told;
  }
}
