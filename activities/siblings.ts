/**
 * Verification of the impact: the other backend services a change reaches (core/impact.ts) must be at
 * least as healthy after it as before. Their health is read before the change; after it, each is
 * watched until a change that hurt it would have shown: a backend turns UNHEALTHY after
 * `unhealthyThreshold` failed probes, `checkIntervalSec` apart, so each sibling is watched for one
 * interval more than that, from its own health check. The first sibling seen with fewer HEALTHY
 * backends than before ends the watch.
 */
import { asyncLocalStorage, Context } from '@temporalio/activity';
import { parseBackendServiceKey, type SiblingHealth } from '../core/impact';
import { MIN_POLL_MS } from '../core/health-polling';
import { createBackendHealthActivities } from './backend-health';
import type { GcpClients } from './gcp-clients';
import { lastSegment, num, regionOf } from './wire-values';

export interface Collateral {
  backendService: string;
  before: { healthy: number; total: number };
  after: { healthy: number; total: number };
}

export interface SiblingWatch {
  /** Siblings less healthy than before (the watch stops at the first). */
  worse: Collateral[];
  polls: number;
}

type Clients = Pick<
  GcpClients,
  'backendServices' | 'regionBackendServices' | 'healthChecks' | 'regionHealthChecks'
>;

/**
 * How long after a change a sibling must be watched, and how often, from its health check. A sibling
 * is named by its impact key (core/impact.ts): `name` when global, `region/name` when regional.
 */
async function watchWindow(clients: Clients, project: string, key: string) {
  const { backendService, region } = parseBackendServiceKey(key);
  const [bs] = region
    ? await clients.regionBackendServices.get({ project, region, backendService })
    : await clients.backendServices.get({ project, backendService });
  const url = bs.healthChecks?.[0];
  const name = lastSegment(url);
  if (!name) return { windowMs: 0, everyMs: MIN_POLL_MS };
  const hcRegion = regionOf(url);
  const [hc] = hcRegion
    ? await clients.regionHealthChecks.get({ project, region: hcRegion, healthCheck: name })
    : await clients.healthChecks.get({ project, healthCheck: name });
  const intervalMs = num(hc.checkIntervalSec, 5) * 1000;
  return {
    windowMs: (num(hc.unhealthyThreshold, 2) + 1) * intervalMs,
    everyMs: Math.max(MIN_POLL_MS, intervalMs / 2),
  };
}

export function createSiblingActivities(clients: Clients) {
  const { getBackendHealth } = createBackendHealthActivities(clients);
  const healthOf = async (project: string, key: string): Promise<SiblingHealth> => {
    const h = await getBackendHealth({ project, ...parseBackendServiceKey(key) });
    return { backendService: key, healthy: h.healthy, total: h.total };
  };
  return {
    /** How healthy each of `backendServices` is now (before a change). */
    async siblingHealth(input: { project: string; backendServices: string[] }): Promise<SiblingHealth[]> {
      const out: SiblingHealth[] = [];
      for (const bs of input.backendServices) out.push(await healthOf(input.project, bs));
      return out;
    },

    /**
     * Watches `before`'s backend services from `changedAt` until a harmful change would have shown
     * on each, heartbeating; returns the first that has fewer HEALTHY backends than before.
     */
    async watchSiblings(input: {
      project: string;
      before: SiblingHealth[];
      changedAt: string;
    }): Promise<SiblingWatch> {
      const ctx = asyncLocalStorage.getStore() ? Context.current() : undefined;
      const start = Date.parse(input.changedAt);
      const windows = await Promise.all(
        input.before.map(async (b) => ({
          b,
          ...(await watchWindow(clients, input.project, b.backendService)),
        })),
      );
      const until = Math.max(start, ...windows.map((w) => start + w.windowMs));
      const every = Math.min(...windows.map((w) => w.everyMs));
      let polls = 0;
      for (;;) {
        for (const { b } of windows) {
          const now = await healthOf(input.project, b.backendService);
          polls += 1;
          if (now.healthy < b.healthy) {
            return {
              worse: [
                {
                  backendService: b.backendService,
                  before: { healthy: b.healthy, total: b.total },
                  after: { healthy: now.healthy, total: now.total },
                },
              ],
              polls,
            };
          }
        }
        ctx?.heartbeat({ polls });
        if (Date.now() >= until) return { worse: [], polls };
        const wait = Math.min(every, until - Date.now());
        await (ctx ? ctx.sleep(wait) : new Promise((r) => setTimeout(r, wait)));
      }
    },
  };
}
