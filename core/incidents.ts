/**
 * Bounds on what a run keeps of the incidents attached to it. An alert storm (a thousand distinct
 * incidents, or a dozen incident ids of 240 KB each) must never make a run's state, memo, search
 * attributes or status query grow without limit: a workflow task that writes more than the server
 * accepts gets the run terminated, with no outcome and no notification. So a run keeps the first
 * {@link INCIDENT_BOUNDS.kept} incidents, each with its strings cut to size, and counts the rest.
 * Pure and sandbox-safe: the workflow, the receiver and the governor use the same cuts.
 */
import { RESOURCE_NAME } from './alert-targets';
import { MANUAL_APPROVAL_LABEL, type Incident } from './model';

export const INCIDENT_BOUNDS = {
  /** Distinct incident ids a run keeps in full (their open and closed deliveries). */
  kept: 20,
  /** Longest incident id kept as it is; a longer one is cut and marked with a hash of the whole. */
  idChars: 128,
  /** Longest summary, URL, policy or condition name kept. */
  textChars: 512,
  /** Alert policy user labels kept per incident (GCP allows 64 per policy). */
  labels: 64,
  /** Longest label key and value kept (GCP: 63 characters each). */
  labelChars: 128,
} as const;

/** Hoisted: a global looked up in the loop is slow in the workflow sandbox (a V8 context). */
const imul = Math.imul;

/**
 * Two FNV-1a hashes (32 bits each, different offset bases) as 16 hex digits: a stable fingerprint,
 * not a secret, and quick enough for a 240 KB id in the workflow's own thread.
 */
export function fingerprint(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x2b13d5a1;
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    a = imul(a ^ c, 0x01000193);
    b = imul(b ^ c, 0x01000193);
  }
  const hex = (h: number) => (h >>> 0).toString(16).padStart(8, '0');
  return hex(a) + hex(b);
}

/**
 * An incident id of at most {@link INCIDENT_BOUNDS.idChars} characters. Ids that fit are unchanged
 * (Cloud Monitoring's are about 14); a longer one keeps its start and a fingerprint of the whole, so
 * two long ids that share a start stay two incidents, and the same id always cuts the same way.
 */
export function boundedIncidentId(id: string): string {
  if (id.length <= INCIDENT_BOUNDS.idChars) return id;
  const tail = `…#${fingerprint(id)}`;
  return `${id.slice(0, INCIDENT_BOUNDS.idChars - tail.length)}${tail}`;
}

/** `text` cut to `max` characters, marked with `…` when cut. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const cutText = (s: string | undefined) => (s === undefined ? undefined : cut(s, INCIDENT_BOUNDS.textChars));

function boundedLabels(labels: Record<string, string>): Record<string, string> {
  const entries = Object.entries(labels).filter(([, v]) => typeof v === 'string');
  // The approval label is never the one cut off: it can only ever ask for a person.
  const manual = entries.filter(([k]) => k === MANUAL_APPROVAL_LABEL);
  const rest = entries.filter(([k]) => k !== MANUAL_APPROVAL_LABEL);
  return Object.fromEntries(
    [...manual, ...rest]
      .slice(0, INCIDENT_BOUNDS.labels)
      .map(([k, v]) => [cut(k, INCIDENT_BOUNDS.labelChars), cut(v, INCIDENT_BOUNDS.labelChars)]),
  );
}

/** The incident with every string cut to its bound (the id by {@link boundedIncidentId}). */
export function boundedIncident(i: Incident): Incident {
  const out: Incident = {
    incidentId: boundedIncidentId(String(i.incidentId)),
    state: i.state === 'closed' ? 'closed' : 'open',
    source: cut(String(i.source), 64),
    receivedAt: cut(String(i.receivedAt), 64),
  };
  const policyName = cutText(i.policyName);
  const conditionName = cutText(i.conditionName);
  const summary = cutText(i.summary);
  const url = cutText(i.url);
  if (policyName !== undefined) out.policyName = policyName;
  if (conditionName !== undefined) out.conditionName = conditionName;
  if (summary !== undefined) out.summary = summary;
  if (url !== undefined) out.url = url;
  if (typeof i.region === 'string' && RESOURCE_NAME.test(i.region)) out.region = i.region;
  if (typeof i.startedAt === 'number') out.startedAt = i.startedAt;
  if (typeof i.endedAt === 'number') out.endedAt = i.endedAt;
  if (i.labels && typeof i.labels === 'object') out.labels = boundedLabels(i.labels);
  return out;
}

/** Does the incident ask for a person (`lbmedic_approval: manual` among its policy's user labels)? */
export function asksForPerson(i: Incident): boolean {
  return i.labels?.[MANUAL_APPROVAL_LABEL] === 'manual';
}

/** Deliveries a run did not keep, because it already kept {@link INCIDENT_BOUNDS.kept} incidents. */
export interface IncidentOverflow {
  /** Deliveries beyond the kept incidents (repeats of one of them included: they are not kept to compare). */
  deliveries: number;
  open: number;
  closed: number;
}

export const NO_OVERFLOW: IncidentOverflow = { deliveries: 0, open: 0, closed: 0 };

/** What happened to a delivery: a new incident kept, a repeat of a kept one, or only counted. */
export type Attached = 'kept' | 'repeat' | 'counted';

/** The key a kept delivery has: the same incident in the same state is one delivery. */
export const incidentKey = (i: Incident) => `${i.incidentId}/${i.state}`;

/**
 * Attaches a (bounded) incident to the kept ones: a delivery of a kept id (open or closed) is kept,
 * a new id is kept while fewer than {@link INCIDENT_BOUNDS.kept} ids are, anything else is counted.
 */
export function attachIncident(
  kept: Map<string, Incident>,
  overflow: IncidentOverflow,
  incident: Incident,
): Attached {
  const key = incidentKey(incident);
  if (kept.has(key)) return 'repeat';
  const ids = new Set([...kept.values()].map((i) => i.incidentId));
  if (ids.has(incident.incidentId) || ids.size < INCIDENT_BOUNDS.kept) {
    kept.set(key, incident);
    return 'kept';
  }
  overflow.deliveries += 1;
  overflow[incident.state] += 1;
  return 'counted';
}
