/**
 * `lbmedic up --simulate`, hands-off: `setup alerts` against the simulator's Monitoring API with the
 * webhook pointed at up's own receiver, so that the simulated Cloud Monitoring (simulator/alerting.ts)
 * notifies it like the real one would. Then each step is said on the console as it happens: an alert
 * opened, the receiver's answer, the remediation run it started and its outcome, the alert closed.
 */
import type { Client } from '@temporalio/client';
import type { GcpClients } from '../activities/gcp-clients';
import type { Simulation } from '../runtime/simulation';
import { setupAlerts } from '../setup/alerts';
import type { AlertEvent } from '../simulator/alerting';
import { uiLink } from './demo-render';

export interface AlertWatchOptions {
  sim: Simulation;
  clients: Pick<GcpClients, 'notificationChannels' | 'alertPolicies'>;
  project: string;
  /** The receiver's webhook URL with its credentials (`?token=` or `user:password@`). */
  webhookUrl: string;
  client: Client;
  namespace: string;
  uiUrl: string | undefined;
  log?: (line: string) => void;
}

const clock = () => new Date().toISOString().slice(11, 19);

/** The backend service (or URL map) an incident names, for one line. */
function target(labels: Record<string, string>): string {
  const name = labels['backend_target_name'] ?? labels['backend_service_name'] ?? labels['url_map_name'];
  return `${labels['project_id'] ?? '?'}/${name ?? '?'}`;
}

interface Answer {
  outcome?: string;
  targets?: { workflowId: string; result: string }[];
}

/**
 * Creates the alert policies and follows what they cause until `stop` is called. Returns the policies'
 * names (for the start banner) and the stop.
 */
export async function watchSimulatedAlerts(opts: AlertWatchOptions): Promise<{
  policies: string[];
  stop: () => void;
}> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const actions = await setupAlerts(opts.clients, { project: opts.project, webhookUrl: opts.webhookUrl });
  const followed = new Set<string>();
  let stopped = false;
  // Cancels the calls that follow runs when up stops: a long poll still retrying once the connection
  // is closed would throw from a timer and take the process down.
  const cancel = new AbortController();
  const call = <T>(fn: () => Promise<T>) => opts.client.withAbortSignal(cancel.signal, fn);

  const follow = async (workflowId: string): Promise<void> => {
    const handle = opts.client.workflow.getHandle(workflowId);
    const described = await call(() => handle.describe());
    if (followed.has(described.runId)) return;
    followed.add(described.runId);
    const link = uiLink({
      uiUrl: opts.uiUrl ?? null,
      namespace: opts.namespace,
      workflowId,
      runId: described.runId,
    });
    log(`${clock()}   remediation ${workflowId} run ${described.runId} started${link ? `: ${link}` : ''}`);
    const result = (await call(() =>
      opts.client.workflow.getHandle(workflowId, described.runId).result(),
    )) as {
      outcome?: string;
      summary?: string;
    };
    if (!stopped)
      log(`${clock()}   remediation ${workflowId}: ${result.outcome ?? '?'}: ${result.summary ?? ''}`);
  };

  const onEvent = (event: AlertEvent): void => {
    const i = event.incident;
    if (i.project !== opts.project) return;
    const where = target(i.resource.labels);
    if (event.kind === 'opened') {
      log(`${clock()} alert opened: ${i.policyDisplayName} on ${where} (incident ${i.incidentId})`);
    } else if (event.kind === 'closed') {
      log(`${clock()} alert closed: ${i.policyDisplayName} on ${where} (${i.closedBecause ?? ''})`);
    } else if (event.kind === 'notified') {
      const n = event.notification;
      const last = n.attempts[n.attempts.length - 1];
      const answer = (n.answer ?? {}) as Answer;
      const said =
        n.outcome === 'delivered'
          ? `${last?.status ?? ''} ${answer.outcome ?? ''}`
          : `not delivered (${last?.error ?? last?.status ?? '?'})`;
      log(`${clock()}   notified the receiver (${n.state}): ${said.trim()}`);
      for (const t of answer.targets ?? []) {
        if (t.result !== 'accepted') continue;
        follow(t.workflowId).catch((err: unknown) => {
          if (!stopped)
            log(
              `${clock()}   remediation ${t.workflowId}: ${err instanceof Error ? err.message : String(err)}`,
            );
        });
      }
    }
  };
  const unsubscribe = opts.sim.world.alerting.onEvent(onEvent);
  return {
    policies: actions.filter((a) => a.kind === 'alertPolicy').map((a) => a.displayName),
    stop: () => {
      stopped = true;
      unsubscribe();
      cancel.abort();
    },
  };
}
