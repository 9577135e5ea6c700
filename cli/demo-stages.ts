/**
 * The demo's hands-off path (`lbmedic demo` without `--direct`): the simulated Cloud Monitoring
 * opens the incident (simulator/alerting.ts, seen through `GET /_sim/incidents`), and the demo prints
 * when each stage happened — break, alert opened, fix applied, HEALTHY, incident closed.
 */
import { createGcpClients } from '../activities/gcp-clients';
import { MANUAL_APPROVAL_LABEL, type RemediationStatus } from '../core/model';
import { formatDuration } from './demo-render';
import { isRecord, type Output } from './output';

/** A failure the demo explains in one line (no stack). */
export class DemoError extends Error {}

const POLL_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The simulator's JSON answer; a non-2xx is a {@link DemoError} with its message. */
export async function simJson(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const body: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    const message = isRecord(body) && isRecord(body.error) ? String(body.error.message) : res.statusText;
    throw new DemoError(`the simulator answered ${res.status}: ${message}`);
  }
  return body;
}

/** The alert the remediation starts from: which backend service, which incident. */
export interface DemoStart {
  backendService: string;
  incidentId: string;
  /** The simulator's incident (the hands-off path), or undefined (posted by the demo). */
  incident?: DemoIncident;
}

/** An incident as the simulator's control API shows it (the fields the demo reads). */
export interface DemoIncident {
  incidentId: string;
  state: 'open' | 'closed';
  kind: string;
  policyDisplayName: string;
  resource: { type: string; labels: Record<string, string> };
  openedAtMs: number;
  closedAtMs?: number;
  closedBecause?: string;
  notifications: { state: string; outcome: string; answer?: unknown }[];
}

/** The backend service an incident names (threshold: backend_target_name; log match: backend_service_name). */
export function incidentBackendService(i: DemoIncident): string | undefined {
  return i.resource.labels['backend_target_name'] ?? i.resource.labels['backend_service_name'];
}

/** Real wall-clock times (ms) of each stage; undefined when it did not happen (yet). */
export interface Stages {
  breakMs: number;
  alertMs?: number;
  fixMs?: number;
  healthyMs?: number;
  closedMs?: number;
}

/** When the run applied its last change and when it saw the backends HEALTHY, from its timeline. */
export function runStages(status: RemediationStatus): Pick<Stages, 'fixMs' | 'healthyMs'> {
  const timeline = Array.isArray(status.timeline)
    ? (status.timeline as { at?: string; phase?: string; note?: string }[])
    : [];
  const at = (e: { at?: string } | undefined) => (e?.at ? Date.parse(e.at) : undefined);
  const applied = timeline.filter((e) => e.phase === 'APPLYING' && e.note?.startsWith('applied'));
  const healthy = timeline.find((e) => e.phase === 'VERIFYING' && e.note?.startsWith('HEALTHY'));
  const fixMs = at(applied[applied.length - 1]);
  const healthyMs = at(healthy);
  return { ...(fixMs === undefined ? {} : { fixMs }), ...(healthyMs === undefined ? {} : { healthyMs }) };
}

/** The stage table: each stage's clock time and its time since the break. */
export function stageLines(s: Stages): string[] {
  const rows: [string, number | undefined][] = [
    ['break', s.breakMs],
    ['alert opened', s.alertMs],
    ['fix applied', s.fixMs],
    ['HEALTHY', s.healthyMs],
    ['incident closed', s.closedMs],
  ];
  return [
    '',
    'Stages',
    '  STAGE             AT        SINCE THE BREAK',
    ...rows.map(([name, ms]) =>
      ms === undefined
        ? `  ${name.padEnd(16)}  -`
        : `  ${name.padEnd(16)}  ${new Date(ms).toISOString().slice(11, 19)}  ${formatDuration(Math.max(0, ms - s.breakMs)).padStart(8)}`,
    ),
  ];
}

async function incidentsSince(
  simulatorUrl: string,
  project: string,
  sinceMs: number,
): Promise<DemoIncident[]> {
  const { incidents } = (await simJson(
    `${simulatorUrl}/_sim/incidents?project=${encodeURIComponent(project)}`,
  )) as { incidents: DemoIncident[] };
  return incidents.filter((i) => i.openedAtMs >= sinceMs);
}

/** The hands-off path: the first incident simulated Cloud Monitoring opened since the break and delivered. */
export async function awaitAlert(
  simulatorUrl: string,
  project: string,
  breakMs: number,
  wanted: string | undefined,
  deadline: number,
  io: Output,
): Promise<DemoStart> {
  io.out('Waiting for Cloud Monitoring (simulated, GCP delays: ingestion, alignment, duration) to alert…');
  while (Date.now() < deadline) {
    const found = (await incidentsSince(simulatorUrl, project, breakMs)).find(
      (i) =>
        (wanted === undefined || incidentBackendService(i) === wanted) &&
        i.notifications.some((n) => n.state === 'open' && n.outcome !== 'pending'),
    );
    if (found) {
      const backendService = incidentBackendService(found) ?? wanted ?? '?';
      const answer = found.notifications.find((n) => n.state === 'open')?.answer;
      io.out(
        `Alert opened: Cloud Monitoring incident ${found.incidentId} (${found.policyDisplayName}) on ${project}/${backendService}, ${formatDuration(found.openedAtMs - breakMs)} after the break → ${isRecord(answer) ? String(answer.outcome) : 'not delivered'}`,
      );
      return { backendService, incidentId: found.incidentId, incident: found };
    }
    await sleep(POLL_MS);
  }
  throw new DemoError(
    `no alert within the timeout: the policies did not fire (a 5xx ratio under 5% does not alert); try --direct`,
  );
}

/**
 * Waits (until the deadline) for the first incident on the backend service opened since the break
 * to close (a 5xx-ratio incident closes once the ratio is back under the threshold; a log-based one
 * only on autoClose); its close time, or undefined.
 */
export async function awaitClosed(
  simulatorUrl: string,
  project: string,
  start: { breakMs: number; backendService: string },
  deadline: number,
  io: Output,
): Promise<number | undefined> {
  io.out('Waiting for the incident to close (log-based incidents close only on autoClose)…');
  while (Date.now() < deadline) {
    const closed = (await incidentsSince(simulatorUrl, project, start.breakMs))
      .filter((i) => incidentBackendService(i) === start.backendService && i.closedAtMs !== undefined)
      .sort((a, b) => (a.closedAtMs ?? 0) - (b.closedAtMs ?? 0))[0];
    if (closed?.closedAtMs !== undefined) {
      io.out(
        `Incident ${closed.incidentId} (${closed.policyDisplayName}) closed: ${closed.closedBecause ?? ''}`,
      );
      return closed.closedAtMs;
    }
    await sleep(POLL_MS);
  }
  return undefined;
}

/**
 * `--manual` on the hands-off path: the label that asks for a person's approval goes where it lives in
 * production, on lbmedic's alert policies (so the simulated notification carries it in
 * `policy_user_labels`), until the returned undo takes it off again.
 */
export async function labelPoliciesManual(
  simulatorUrl: string,
  project: string,
): Promise<() => Promise<void>> {
  const clients = createGcpClients({ endpoint: simulatorUrl, projectId: project });
  const set = async (manual: boolean) => {
    const [policies] = await clients.alertPolicies.listAlertPolicies({ name: `projects/${project}` });
    for (const p of policies.filter((x) => x.userLabels?.['managed_by'] === 'lbmedic')) {
      const { [MANUAL_APPROVAL_LABEL]: _, ...rest } = p.userLabels ?? {};
      await clients.alertPolicies.updateAlertPolicy({
        alertPolicy: {
          name: p.name,
          userLabels: manual ? { ...rest, [MANUAL_APPROVAL_LABEL]: 'manual' } : rest,
        },
        updateMask: { paths: ['user_labels'] },
      });
    }
  };
  try {
    await set(true);
  } catch (err) {
    await clients.close();
    throw err;
  }
  return async () => {
    try {
      await set(false);
    } finally {
      await clients.close();
    }
  };
}
