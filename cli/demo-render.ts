/**
 * What `lbmedic demo` prints, as pure functions of the remediation's status (a status in, lines
 * out), so the rendering is unit-testable: the progress as it happens, then the summary.
 */
import type { RemediationStatus } from '../core/model';
import { isRecord } from './output';

interface TimelineEntry {
  at: string;
  phase: string;
  note: string;
}

function timelineOf(status: RemediationStatus): TimelineEntry[] {
  const t = status.timeline;
  if (!Array.isArray(t)) return [];
  return t.filter(isRecord).map((e) => ({ at: String(e.at), phase: String(e.phase), note: String(e.note) }));
}

/** `4.2s`, `1m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** What the demo has printed so far. */
export interface Shown {
  /** Timeline entries printed. */
  timeline: number;
  /** The phase of the last phase line. */
  phase?: string;
  diagnosis: boolean;
  plan: boolean;
  prompt: boolean;
}
export const NOTHING_SHOWN: Shown = { timeline: 0, diagnosis: false, plan: false, prompt: false };

export interface DemoView {
  workflowId: string;
  /** When the run started (ms since the epoch): elapsed times count from it. */
  startedAtMs: number;
  /** The exact command that approves, e.g. `npx lbmedic approve lbmedic/demo-project/web-bs --as <you>`. */
  approveCommand: string;
  rejectCommand: string;
}

const PHASE_WIDTH = 18;

function diagnosisLines(status: RemediationStatus): string[] | undefined {
  const d = status.diagnosis;
  if (!isRecord(d) || !Array.isArray(d.findings)) return undefined;
  const lines = [`Diagnosis: ${String(d.verdict)}`];
  for (const f of d.findings.filter(isRecord)) lines.push(`  ✗ ${String(f.cause)}: ${String(f.summary)}`);
  return lines;
}

function planText(status: RemediationStatus): string | undefined {
  const p = status.plan;
  return isRecord(p) && typeof p.rendered === 'string' ? p.rendered : undefined;
}

/**
 * The lines to print for what changed since `shown`: one line per phase as it starts and one per
 * timeline note (with the elapsed time), the diagnosis and the plan once each, right after the
 * diagnosis note, and the approval prompt when the run waits for a person.
 */
export function progressLines(
  status: RemediationStatus,
  shown: Shown,
  view: DemoView,
): { lines: string[]; shown: Shown } {
  const next: Shown = { ...shown };
  const lines: string[] = [];
  const blocks = () => {
    const diagnosis = next.diagnosis ? undefined : diagnosisLines(status);
    if (diagnosis) {
      lines.push('', ...diagnosis, '');
      next.diagnosis = true;
    }
    const plan = next.plan ? undefined : planText(status);
    if (plan && next.diagnosis) {
      lines.push(...plan.split('\n'), '');
      next.plan = true;
    }
  };
  const timeline = timelineOf(status);
  for (const entry of timeline.slice(shown.timeline)) {
    const elapsed = `+${formatDuration(Date.parse(entry.at) - view.startedAtMs)}`.padStart(8);
    const note = entry.note.startsWith('HEALTHY:') ? `✓ ${entry.note}` : entry.note;
    if (entry.phase !== next.phase) {
      lines.push(`${elapsed}  ${entry.phase.padEnd(PHASE_WIDTH)} ${note}`);
      next.phase = entry.phase;
    } else {
      lines.push(`${elapsed}  ${''.padEnd(PHASE_WIDTH)} ${note}`);
    }
    if (entry.note.startsWith('diagnosis:')) blocks();
    if (entry.phase === 'AWAITING_APPROVAL' && !next.prompt) {
      next.prompt = true;
      const deadline = typeof status.approvalDeadline === 'string' ? status.approvalDeadline : undefined;
      lines.push(
        '',
        `  ▶ The plan waits for a person${deadline ? ` (until ${deadline})` : ''}. From another terminal:`,
        `      ${view.approveCommand}`,
        `    or reject it:`,
        `      ${view.rejectCommand}`,
        '',
      );
    }
  }
  next.timeline = timeline.length;
  // A diagnosis without its note yet (never with this workflow, but harmless): show it anyway.
  if (status.diagnosis !== undefined && status.diagnosis !== null) blocks();
  return { lines, shown: next };
}

/** Phases in the order they ran, with how long each took (the timeline's timestamps). */
export function phaseDurations(
  status: RemediationStatus,
  startedAtMs: number,
): { phase: string; ms: number }[] {
  const segments: { phase: string; start: number }[] = [{ phase: 'STARTING', start: startedAtMs }];
  for (const e of timelineOf(status)) {
    const at = Date.parse(e.at);
    if (e.phase !== segments[segments.length - 1]!.phase) segments.push({ phase: e.phase, start: at });
  }
  const out: { phase: string; ms: number }[] = [];
  for (let i = 0; i + 1 < segments.length; i++) {
    out.push({ phase: segments[i]!.phase, ms: segments[i + 1]!.start - segments[i]!.start });
  }
  return out;
}

export interface SummaryView {
  workflowId: string;
  runId?: string;
  startedAtMs: number;
  namespace: string;
  uiUrl: string | null;
}

/** The Temporal UI page of the execution. */
export function uiLink(
  view: Pick<SummaryView, 'uiUrl' | 'namespace' | 'workflowId' | 'runId'>,
): string | undefined {
  if (!view.uiUrl) return undefined;
  const base = `${view.uiUrl}/namespaces/${encodeURIComponent(view.namespace)}/workflows/${encodeURIComponent(view.workflowId)}`;
  return view.runId ? `${base}/${view.runId}/history` : base;
}

/** The end of the demo: the outcome (explained when limits blocked it), the time per phase, the UI link. */
export function summaryLines(status: RemediationStatus, view: SummaryView): string[] {
  const outcome = typeof status.outcome === 'string' ? status.outcome : undefined;
  const timeline = timelineOf(status);
  const last = timeline[timeline.length - 1];
  const summary = last && outcome && last.note.startsWith(`${outcome}:`) ? last.note : outcome;
  const lines = ['', `Outcome: ${summary ?? '(none)'}`];
  if (outcome === 'BLOCKED_BY_LIMITS') {
    lines.push(
      '  This backend service was remediated (the demo ran) a short while ago, and the policies limit how',
      '  often lbmedic may change it (cooldown, a daily maximum, a circuit breaker): this run changed nothing.',
      '  To run the demo again now, stop `lbmedic up` (Ctrl-C) and start it on a fresh Temporal database,',
      '  e.g. `npm start -- --temporal-db .temporal/demo-2.db`; or wait until the cooldown has passed.',
    );
  }
  const durations = phaseDurations(status, view.startedAtMs);
  if (durations.length > 0) {
    const width = Math.max(5, ...durations.map((d) => d.phase.length));
    lines.push('', 'Time per phase', `  ${'PHASE'.padEnd(width)}  ${'TOOK'.padStart(6)}`);
    for (const d of durations) lines.push(`  ${d.phase.padEnd(width)}  ${formatDuration(d.ms).padStart(6)}`);
    const end = last ? Date.parse(last.at) : view.startedAtMs;
    lines.push(`  ${'total'.padEnd(width)}  ${formatDuration(end - view.startedAtMs).padStart(6)}`);
  }
  const link = uiLink(view);
  lines.push('', link ? `Temporal UI: ${link}` : `Workflow: ${view.workflowId} (no Temporal UI URL known)`);
  return lines;
}
