/**
 * The record of a remediation run: its phase, the timeline, the notifications, the search attributes
 * and memo that make it findable, the outcome, and the status query that shows all of it. The loop
 * says what happened; this says it to Temporal and to people, always the same way.
 */
import { log, patched, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { autonomyMemo } from '../core/autonomy';
import type { RootCause } from '../core/causes';
import type { Diagnosis } from '../core/classify';
import { failureMessage } from '../core/failure';
import { asksForPerson, attachIncident, boundedIncident, cut } from '../core/incidents';
import {
  MANUAL_APPROVAL_LABEL,
  type Outcome,
  type RemediationStatus,
  type TransitionEvent,
} from '../core/model';
import type { Plan } from '../core/plan';
import { SA } from '../core/search-attributes';
import { alertSignal, recheckSignal, statusQuery } from './definitions';
import { STATE_BOUNDS, type RunState } from './state';
import { announce } from './stubs';

/** Longest text kept in one memo field (a plan, a summary): the memo is bounded too. */
const MEMO_TEXT_CHARS = 16 * 1024;
/** Keyword search attributes longer than this are refused by SQL visibility stores. */
const KEYWORD_CHARS = 255;

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
    ...(s.overflow.deliveries > 0 ? { incidentsNotKept: s.overflow } : {}),
    ...(s.needsPerson ? { needsPerson: s.needsPerson } : {}),
    ...(s.continuedAsNew > 0 ? { continuedAsNew: s.continuedAsNew } : {}),
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
    ...(s.ignoredCount > s.ignored.length ? { ignoredCount: s.ignoredCount } : {}),
    applied: s.applied.map((a) => a.step.id),
    timeline: s.timeline,
    ...(s.timelineDropped > 0 ? { timelineLeftOut: s.timelineDropped } : {}),
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

  /** What the memo says of the incidents, as last written (written again only when it changes). */
  private memoIncidents = '';

  /** The change hurt another backend service (and is rolled back for it): the policies' record says so. */
  collateral = false;

  /**
   * Handlers first thing in the run: alerts attach to it (the first ones kept, the rest counted; an
   * alert asking for a person makes the run need one), the status query shows it, a `recheck`
   * wakes a run held by a kill switch.
   */
  installHandlers(): void {
    setHandler(alertSignal, (raw) => {
      const incident = boundedIncident(raw);
      if (asksForPerson(incident)) {
        this.requirePerson(
          `an alert carries ${MANUAL_APPROVAL_LABEL}=manual (incident ${incident.incidentId})`,
        );
      }
      if (attachIncident(this.s.incidents, this.s.overflow, incident) === 'kept') this.writeIncidents();
    });
    setHandler(statusQuery, () => statusOf(this.s));
    setHandler(recheckSignal, () => {
      this.s.recheck = true;
    });
  }

  /** Makes the run findable by project and backend service before anything else happens. */
  start(): void {
    upsertSearchAttributes([
      { key: SA.project, value: cut(this.s.input.project, KEYWORD_CHARS) },
      { key: SA.backendService, value: cut(this.s.input.backendService, KEYWORD_CHARS) },
      { key: SA.phase, value: this.s.phase },
    ]);
    this.writeIncidents();
    // A continuation says again what its run had said (the memo it started with may be older).
    if (this.s.needsPerson) upsertMemo({ needsPerson: this.s.needsPerson });
    if (this.s.renderedPlan) upsertMemo({ plan: cut(this.s.renderedPlan, MEMO_TEXT_CHARS) });
  }

  /** The incidents in the memo: the kept ids, and how many deliveries were only counted. */
  private writeIncidents(): void {
    const memo = {
      incidents: this.incidentIds(),
      ...(this.s.overflow.deliveries > 0 ? { incidentsNotKept: this.s.overflow.deliveries } : {}),
    };
    const text = JSON.stringify(memo);
    if (text === this.memoIncidents) return;
    this.memoIncidents = text;
    upsertMemo(memo);
  }

  /** The kept incidents' ids (at most INCIDENT_BOUNDS.kept, each at most INCIDENT_BOUNDS.idChars). */
  incidentIds(): string[] {
    return [...new Set([...this.s.incidents.values()].map((i) => i.incidentId))].sort();
  }

  /** The alert policies' user labels: policies may select on them. */
  labels(): Record<string, string> {
    const all = [...this.s.incidents.values()].map((i) => i.labels ?? {});
    return Object.assign({}, ...all) as Record<string, string>;
  }

  /**
   * From now on this run needs a person to apply anything, for `why`: only ever tightens (the first
   * reason stays), and a continuation carries it (docs/safety.md, "Runs").
   */
  requirePerson(why: string): void {
    if (this.s.needsPerson) return;
    this.s.needsPerson = cut(why, 512);
    upsertMemo({ needsPerson: this.s.needsPerson });
    this.note(`a person must approve any change: ${this.s.needsPerson}`);
  }

  /** A refused approval or rejection: the latest STATE_BOUNDS.ignored are kept, all are counted. */
  ignore(text: string): void {
    this.s.ignoredCount += 1;
    this.s.ignored.push(cut(text, 512));
    this.s.ignored.splice(0, Math.max(0, this.s.ignored.length - STATE_BOUNDS.ignored));
  }

  /** A timeline entry; past STATE_BOUNDS.timeline, the oldest after the first few are left out. */
  note(text: string): void {
    const t = this.s.timeline;
    t.push({ at: now(), phase: this.s.phase, note: cut(text, 2048) });
    if (t.length > STATE_BOUNDS.timeline) {
      t.splice(STATE_BOUNDS.timelineHead, 1);
      this.s.timelineDropped += 1;
    }
    log.info(text, { phase: this.s.phase });
  }

  setPhase(next: string, text: string, details?: string): void {
    this.s.phase = next;
    upsertSearchAttributes([{ key: SA.phase, value: next }]);
    this.writeIncidents();
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
    if (first) upsertMemo({ plan: cut(rendered, MEMO_TEXT_CHARS) });
  }

  /**
   * A policy was promoted or demoted since its latest run (core/autonomy.ts): people are told, the
   * timeline and the memo keep it.
   */
  modesChanged(changes: string[]): void {
    upsertMemo({ modeChanges: changes.map((c) => cut(c, 512)) });
    for (const c of changes) {
      this.note(`mode changed: ${c}`);
      void this.tell(`mode changed: ${c}`);
    }
  }

  approvedBy(): string[] {
    return this.s.approvals.map((a) => a.approver);
  }

  /** Who approved, as a search attribute, as soon as the approval is complete. */
  recordApprovers(): void {
    upsertSearchAttributes([
      { key: SA.approver, value: this.approvedBy().map((a) => cut(a, KEYWORD_CHARS)) },
    ]);
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
      { key: SA.approver, value: this.approvedBy().map((a) => cut(a, KEYWORD_CHARS)) },
    ]);
    this.writeIncidents();
    // The policies' record (core/autonomy.ts); runs recorded before it existed leave none.
    const record = patched('autonomy-record') && s.plan ? autonomyMemo(s.plan, this.collateral) : undefined;
    upsertMemo({
      ...(record ? { autonomy: record } : {}),
      summary: cut(`${end.outcome}: ${end.summary}`, MEMO_TEXT_CHARS),
      ...(s.plan && s.renderedPlan ? { plan: cut(s.renderedPlan, MEMO_TEXT_CHARS) } : {}),
      ...(end.details ? { details: cut(end.details, MEMO_TEXT_CHARS) } : {}),
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

  /** Resolves once every notification so far went out (or failed): before a continue-as-new. */
  notified(): Promise<void> {
    return this.told;
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
