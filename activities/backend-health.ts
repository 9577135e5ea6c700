/**
 * Reads a backend service's health as the load balancer sees it: `backendServices.get`, then
 * `getHealth` for each backend group (health-status.ts), and waits for it after a fix. Built from
 * injected clients (see gcp-clients.ts).
 */
import { asyncLocalStorage, Context } from '@temporalio/activity';
import { healthPolling } from '../core/health-polling';
import type { GcpClients } from './gcp-clients';
import { parseGroupUrl } from './compute-config';
import { isHealthChecked, readGroupHealth, type InstanceHealth } from './health-status';

export interface GroupHealth {
  group: string;
  instances: InstanceHealth[];
}

export interface BackendHealth {
  project: string;
  backendService: string;
  groups: GroupHealth[];
  healthy: number;
  total: number;
}

export interface AwaitHealthyInput {
  project: string;
  backendService: string;
  /** A regional backend service's region. */
  region?: string;
  /** When the last change was applied (ISO): the polling schedule counts from here. */
  changedAt: string;
  /** Give up at this moment (ISO). */
  deadline: string;
  /** Fraction of backends that must be HEALTHY. */
  healthyFraction: number;
  checkIntervalSec: number;
  healthyThreshold: number;
}

export interface AwaitHealthyResult {
  /** When getHealth first showed enough HEALTHY backends (ISO); absent when the deadline passed. */
  healthyAt?: string;
  healthy: number;
  total: number;
  polls: number;
}

/** How often a long wait between polls still heartbeats (the activity's heartbeat timeout is longer). */
const HEARTBEAT_EVERY_MS = 5_000;

export function createBackendHealthActivities(
  clients: Pick<GcpClients, 'backendServices' | 'regionBackendServices'>,
) {
  const activities = {
    /** getHealth for every health-checked backend group of one backend service (global or regional). */
    async getBackendHealth(input: {
      project: string;
      backendService: string;
      region?: string;
    }): Promise<BackendHealth> {
      const { project, backendService, region } = input;
      const [bs] = region
        ? await clients.regionBackendServices.get({ project, region, backendService })
        : await clients.backendServices.get({ project, backendService });
      const groups: GroupHealth[] = [];
      for (const backend of bs.backends ?? []) {
        if (!backend.group || !isHealthChecked(parseGroupUrl(backend.group))) continue;
        groups.push({
          group: backend.group,
          instances: await readGroupHealth(clients, {
            project,
            backendService,
            group: backend.group,
            ...(region ? { region } : {}),
          }),
        });
      }
      const all = groups.flatMap((g) => g.instances);
      return {
        project,
        backendService,
        groups,
        healthy: all.filter((i) => i.healthState === 'HEALTHY').length,
        total: all.length,
      };
    },

    /**
     * Polls getHealth after a fix on the schedule of core/health-polling.ts until enough backends are
     * HEALTHY or the deadline passes. One activity rather than timers in the workflow: polls can be
     * sub-second without growing the history, and the heartbeat shows the progress (and lets a new
     * worker take over quickly when this one dies; the schedule restarts from `changedAt`).
     */
    async awaitHealthy(input: AwaitHealthyInput): Promise<AwaitHealthyResult> {
      const ctx = asyncLocalStorage.getStore() ? Context.current() : undefined;
      const changedAt = Date.parse(input.changedAt);
      const deadline = Date.parse(input.deadline);
      const schedule = healthPolling(input);
      const target = {
        project: input.project,
        backendService: input.backendService,
        ...(input.region ? { region: input.region } : {}),
      };
      let polls = 0;
      let last = { healthy: 0, total: 0 };
      const beat = () => ctx?.heartbeat({ polls, ...last });
      const wait = async (until: number) => {
        for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
          const ms = Math.min(left, HEARTBEAT_EVERY_MS);
          await (ctx ? ctx.sleep(ms) : new Promise((r) => setTimeout(r, ms)));
          beat();
        }
      };
      for (;;) {
        const h = await activities.getBackendHealth(target);
        polls += 1;
        last = { healthy: h.healthy, total: h.total };
        beat();
        if (h.total > 0 && h.healthy / h.total >= input.healthyFraction) {
          return { healthyAt: new Date().toISOString(), ...last, polls };
        }
        const now = Date.now();
        if (now >= deadline) return { ...last, polls };
        await wait(Math.min(deadline, changedAt + schedule.nextPollAt(now - changedAt)));
      }
    },
  };
  return activities;
}
