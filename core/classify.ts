/**
 * The classifier: evidence in, diagnosis out. Pure and deterministic; it runs in the recorded `decide`
 * activity and in the CLI, never in the workflow sandbox (docs/versioning.md).
 *
 * It follows the field guide's diagnostic workflow: statusDetails say whether to chase health
 * (failed_to_pick_backend) or the backend itself (backend_timeout, connection closed); getHealth
 * confirms; the health check, firewall and named ports are compared with what the in-VPC probe saw
 * the app really serve. Each root cause detects itself (core/causes/<cause>.ts); classify folds the
 * registry's detectors in order and gives the verdict. Every finding cites the facts that prove it
 * and carries the facts a fix needs. A conclusion that depends on a source that could not be read is
 * not drawn: the diagnosis says what it could not see instead.
 */
import { CAUSES, type Finding } from './causes';
import { type Facts, gatherFacts, healthNotes } from './causes/facts';
import type { Evidence } from './evidence';
import { EVIDENCE_SOURCES } from './evidence';

export type Verdict = 'FAULTS_FOUND' | 'NO_FAULT' | 'UNKNOWN';

export interface Diagnosis {
  project: string;
  backendService: string;
  verdict: Verdict;
  findings: Finding[];
  /** Sources that could not be read, with why. */
  unavailable: { source: string; error: string }[];
  /** Observations that matter but prove no cause (conflicts, limits of the evidence). */
  notes: string[];
  health: { healthy: number; total: number } | undefined;
  /** The port/path the in-VPC probe saw the app answer 200 on, if any. */
  serving: { port: number; path: string } | undefined;
}

/** The verdict on what was found, and the note that explains an UNKNOWN. */
function verdictOf(facts: Facts, findings: Finding[]): { verdict: Verdict; note?: string } {
  if (findings.length > 0) return { verdict: 'FAULTS_FOUND' };
  const { unhealthy, fivexx, health, logs } = facts;
  if (unhealthy > 0 || fivexx > 0) {
    return {
      verdict: 'UNKNOWN',
      note: `symptoms without a known cause: ${unhealthy} unhealthy backend(s), ${fivexx} 5xx in the logs`,
    };
  }
  if (!health && !logs) {
    return {
      verdict: 'UNKNOWN',
      note: 'neither getHealth nor the LB logs could be read: no fault can be ruled out',
    };
  }
  return { verdict: 'NO_FAULT' };
}

/** Names the root causes the evidence proves, in registry order. */
export function classify(ev: Evidence): Diagnosis {
  const unavailable = EVIDENCE_SOURCES.flatMap((s) => {
    const src = ev[s];
    // Sources added later are absent in evidence recorded before them.
    return !src || src.ok ? [] : [{ source: s, error: src.error }];
  });
  const base = { project: ev.project, backendService: ev.backendService, unavailable };
  if (!ev.backend.ok) {
    return {
      ...base,
      verdict: 'UNKNOWN',
      findings: [],
      notes: ['the backend service could not be read: nothing can be concluded'],
      health: undefined,
      serving: undefined,
    };
  }
  const facts = gatherFacts(ev, ev.backend.value);
  const findings: Finding[] = [];
  const notes = healthNotes(facts);
  for (const cause of CAUSES) {
    const found = cause.detect(facts, findings);
    findings.push(...found.findings);
    notes.push(...(found.notes ?? []));
  }
  const { verdict, note } = verdictOf(facts, findings);
  if (note) notes.push(note);
  const { serving, health } = facts;
  return {
    ...base,
    verdict,
    findings,
    notes,
    health,
    serving: serving && { port: serving.port, path: serving.path },
  };
}
