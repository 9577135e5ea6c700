/**
 * The health watch's I/O (docs/watch.md): one tick reads the backend services of a project that are
 * in scope and getHealth for each of their health-checked groups, within the tick's share of the
 * Compute read quota, and decides (core/watch.ts) which need a remediation; another hands those to the
 * project's governor by update-with-start, the way the receiver hands it alerts, so scope, fleet
 * limits, de-duplication and the kill switches apply to the watch exactly as to alerts.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { AdmitRequest, AdmitResult } from '../core/fleet';
import { GOVERNOR_WORKFLOW, governorWorkflowId } from '../core/model';
import { scopeProblem, type Scope } from '../core/scope';
import {
  decideWatch,
  readBudgetPerTick,
  servicesThisTick,
  watchIncident,
  watchThreshold,
  type DriftReading,
  type Episodes,
  type HealthReading,
  type WatchedService,
} from '../core/watch';
import type { PolicySet } from '../policies/schema';
import { parseGroupUrl } from './compute-config';
import type { GcpClients } from './gcp-clients';
import { isHealthChecked, readGroupHealth } from './health-status';
import { readDrift } from './watch-drift';
import { NO_AUTOPAGINATE, scopeRegion } from './wire-values';

/** The governor's admit update (workflows/control-definitions.ts), by name: activities may not import workflows. */
export const GOVERNOR_ADMIT_UPDATE = 'admit';
/** Backend services per list page (Compute's maximum): each page is one list request. */
const PAGE_SIZE = 500;

/** What a scheduled tick is asked to do (the schedule's workflow arguments). */
export interface WatchInput {
  project: string;
  /** Seconds between ticks: the read budget of a tick follows from it (core/watch.ts). */
  everySec: number;
  /** Only these regions' regional backend services are watched (default: every region's). */
  regions?: string[];
  /** Where the remediations run, and the governors (the receiver's two task queues). */
  taskQueue: string;
  governorTaskQueue: string;
}

/** What one tick leaves for the next: its episodes and where the round of reads goes on. */
export interface WatchCarry {
  episodes: Episodes;
  cursor: number;
}

export interface WatchReadResult extends WatchCarry {
  /** Episode keys to hand to the governor now. */
  admit: string[];
  /** Compute requests the tick made (lists, getHealth, drift reads). */
  requests: number;
  /** Backend services in scope; read this tick; left for the next ticks (the quota bound). */
  inScope: number;
  read: string[];
  deferred: number;
  /** Backend services outside the scope: listed, never read further. */
  outOfScope: string[];
  health: HealthReading[];
  drift: DriftReading[];
  notes: string[];
}

/** The lists and getHealth, and whatever the mutation modules read for drift. */
type Clients = GcpClients;

interface Listed extends WatchedService {
  /** The backend groups' URLs that getHealth answers for. */
  urls: string[];
}

/**
 * Every backend service of the project, global and regional, with its health-checked groups: one
 * `backendServices.aggregatedList` (a request per page of 500) covers the global ones and every
 * region's, so a regional load balancer is watched without being named. `regions`, when given,
 * narrows the regional ones to those regions.
 */
async function listServices(
  clients: Clients,
  project: string,
  regions: string[],
): Promise<{ services: Listed[]; requests: number }> {
  const services: Listed[] = [];
  let n = 0;
  for await (const [scope, list] of clients.backendServices.aggregatedListAsync(
    { project, maxResults: PAGE_SIZE },
    NO_AUTOPAGINATE,
  )) {
    const region = scopeRegion(scope);
    for (const bs of list.backendServices ?? []) {
      n += 1;
      if (region && regions.length > 0 && !regions.includes(region)) continue;
      const urls = (bs.backends ?? [])
        .map((b) => b.group ?? '')
        .filter((g) => g !== '' && isHealthChecked(parseGroupUrl(g)));
      services.push({
        backendService: bs.name ?? '',
        ...(region ? { region } : {}),
        groups: urls.length,
        urls,
      });
    }
  }
  return { services, requests: Math.max(1, Math.ceil(n / PAGE_SIZE)) };
}

export function createWatchActivities(deps: {
  clients: Clients;
  temporal: Client;
  policies: PolicySet;
  scope: Scope;
}) {
  const { clients, temporal, policies, scope } = deps;
  return {
    /**
     * One tick's reads and decision: the backend services in scope, getHealth for as many as the
     * tick's budget allows (the rest on the next ticks), the resources lbmedic set lately, and which
     * episodes the governor must be told of.
     */
    async watchRead(input: WatchInput & { previous?: WatchCarry }): Promise<WatchReadResult> {
      const { project } = input;
      const previous = input.previous ?? { episodes: {}, cursor: 0 };
      const empty = { admit: [], requests: 0, inScope: 0, read: [], deferred: 0, health: [], drift: [] };
      const outside = scopeProblem(scope, { project });
      if (outside) return { ...empty, ...previous, outOfScope: [], notes: [`nothing read: ${outside}`] };
      const listed = await listServices(clients, project, input.regions ?? []);
      const outOfScope = listed.services
        .filter((s) => scopeProblem(scope, { project, backendService: s.backendService }))
        .map((s) => s.backendService);
      const inScope = listed.services.filter((s) => !outOfScope.includes(s.backendService));
      // Health first: drift reads take what the tick's budget leaves.
      const budget = readBudgetPerTick(input.everySec);
      const tick = servicesThisTick(inScope, budget, listed.requests, previous.cursor);
      const health: HealthReading[] = [];
      let requests = listed.requests;
      for (const s of tick.read as Listed[]) {
        const where = { backendService: s.backendService, ...(s.region ? { region: s.region } : {}) };
        const threshold = watchThreshold(policies, { project, backendService: s.backendService }).fraction;
        try {
          let healthy = 0;
          let total = 0;
          for (const group of s.urls) {
            requests += 1;
            const instances = await readGroupHealth(clients, { project, ...where, group });
            total += instances.length;
            healthy += instances.filter((i) => i.healthState === 'HEALTHY').length;
          }
          health.push({ ...where, healthy, total, threshold });
        } catch (err) {
          health.push({ ...where, threshold, error: err instanceof Error ? err.message : String(err) });
        }
      }
      const drift = await readDrift(clients, temporal, { project, inScope, maxReads: budget - requests });
      requests += drift.requests;
      const decision = decideWatch({
        now: new Date().toISOString(),
        health,
        drift: drift.readings,
        previous: previous.episodes,
      });
      const notes = [...drift.notes];
      if (tick.skipped > 0)
        notes.push(
          `${tick.skipped} backend service(s) left for the next ticks: a tick reads at most ${readBudgetPerTick(input.everySec)} times (docs/watch.md, "Quota")`,
        );
      return {
        episodes: decision.episodes,
        admit: decision.admit,
        cursor: tick.nextCursor,
        requests,
        inScope: inScope.length,
        read: tick.read.map((s) => s.backendService),
        deferred: tick.skipped,
        outOfScope,
        health,
        drift: drift.readings,
        notes,
      };
    },

    /**
     * Hands episodes to the project's governor (started when none runs), as one admission: it
     * attaches each to a running remediation or starts, queues or refuses one, as for an alert.
     * Returns the episodes with those the governor took marked, and what became of each.
     */
    async watchAdmit(input: {
      project: string;
      taskQueue: string;
      governorTaskQueue: string;
      episodes: Episodes;
      admit: string[];
    }): Promise<{ episodes: Episodes; results: Record<string, string> }> {
      const now = new Date().toISOString();
      const keys = input.admit.filter((k) => input.episodes[k]);
      const reqs: AdmitRequest[] = keys.map((k) => {
        const e = input.episodes[k]!;
        return { incident: watchIncident(e, now), backendServices: [e.backendService], via: 'watch' };
      });
      const start = new WithStartWorkflowOperation(GOVERNOR_WORKFLOW, {
        workflowId: governorWorkflowId(input.project),
        taskQueue: input.governorTaskQueue,
        args: [{ project: input.project, taskQueue: input.taskQueue }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      const answers = (await temporal.workflow.executeUpdateWithStart(GOVERNOR_ADMIT_UPDATE, {
        args: [reqs],
        startWorkflowOperation: start,
      })) as AdmitResult[];
      const episodes = { ...input.episodes };
      const results: Record<string, string> = {};
      keys.forEach((k, i) => {
        const answer = answers[i];
        const result = answer?.retry ? 'retry' : (answer?.targets[0]?.result ?? answer?.outOfScope ?? 'none');
        results[k] = result;
        // Refused by the fleet limits, or not delivered: the next tick hands it over again.
        if (result === 'accepted' || result === 'queued') episodes[k] = { ...episodes[k]!, admitted: true };
      });
      return { episodes, results };
    },
  };
}
