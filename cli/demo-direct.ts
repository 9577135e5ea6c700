/**
 * `lbmedic demo --direct` (and `--manual`): the demo posts the Cloud Monitoring notification to the
 * receiver itself, exactly as Monitoring would (demo-alert.ts), for the backend service answering most
 * 5xx, instead of waiting for the simulated Cloud Monitoring to alert.
 */
import { createGcpClients } from '../activities/gcp-clients';
import { createVerifyActivities } from '../activities/verify';
import { MANUAL_APPROVAL_LABEL } from '../core/model';
import { demoAlert, newIncidentId } from './demo-alert';
import { DemoError, simJson, type DemoStart } from './demo-stages';
import { isRecord, type Output } from './output';
import type { UpState } from './up-state';

export interface DemoFlags {
  manual?: boolean;
  direct?: boolean;
  state?: string;
  'backend-service'?: string;
}

/** The backend service the alert names: the one given, the only one, or the one answering most 5xx. */
async function pickBackendService(
  simulatorUrl: string,
  project: string,
  services: string[],
  wanted: string | undefined,
): Promise<string> {
  if (wanted) {
    if (!services.includes(wanted))
      throw new DemoError(`no backend service ${wanted} in ${project}; there are: ${services.join(', ')}`);
    return wanted;
  }
  if (services.length <= 1) {
    if (!services[0]) throw new DemoError(`the scenario has no backend service in ${project}`);
    return services[0];
  }
  // Like Monitoring: the alert fires for the backend whose LB responses are 5xx.
  const clients = createGcpClients({ endpoint: simulatorUrl, projectId: project });
  try {
    const logs = createVerifyActivities(clients);
    const since = new Date(Date.now() - 10 * 60_000).toISOString();
    const counts = await Promise.all(
      services.map(async (bs) => ({
        bs,
        ...(await logs.countLbResponses({ project, backendService: bs, since })),
      })),
    );
    const share = (c: { total: number; errors: number }) => (c.total === 0 ? 0 : c.errors / c.total);
    const worst = [...counts].sort((a, b) => share(b) - share(a))[0];
    return worst && worst.errors > 0 ? worst.bs : services[0]!;
  } finally {
    await clients.close();
  }
}

async function postAlert(receiverUrl: string, body: unknown): Promise<{ status: number; answer: unknown }> {
  const url = new URL(receiverUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (url.username) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, answer: await res.json().catch(() => undefined) };
}

/** `--direct`: the demo posts the Cloud Monitoring notification to the receiver itself. */
export async function postDirect(
  state: UpState,
  project: string,
  scenario: string,
  flags: DemoFlags,
  io: Output,
): Promise<DemoStart> {
  const simulatorUrl = state.simulatorUrl ?? '';
  const world = (await simJson(`${simulatorUrl}/_sim/state`)) as {
    projects: Record<string, { backendServices?: Record<string, { frontend?: { urlMap?: string } }> }>;
  };
  const backendServices = world.projects[project]?.backendServices ?? {};
  const backendService = await pickBackendService(
    simulatorUrl,
    project,
    Object.keys(backendServices),
    flags['backend-service'],
  );
  const incidentId = newIncidentId();
  const { status, answer } = await postAlert(
    state.receiverUrl,
    demoAlert({
      project,
      backendService,
      urlMap: backendServices[backendService]?.frontend?.urlMap ?? `${backendService}-map`,
      incidentId,
      startedAt: Math.floor(Date.now() / 1000),
      manual: flags.manual === true,
      scenario,
    }),
  );
  const outcome = isRecord(answer) ? String(answer.outcome) : '?';
  if (status !== 200 || outcome !== 'accepted') {
    const message = isRecord(answer) ? String(answer.message) : '(no JSON answer)';
    throw new DemoError(`the receiver answered ${status} ${outcome}: ${message}`);
  }
  io.out(
    `Alert posted: Cloud Monitoring incident ${incidentId}, https_lb_rule ${project}/${backendService}${
      flags.manual ? `, label ${MANUAL_APPROVAL_LABEL}=manual` : ''
    } → ${status} ${outcome}`,
  );
  return { backendService, incidentId };
}
