/**
 * The health watch's decisions (docs/watch.md): which backend services a tick reads within its share
 * of the Compute read quota, the HEALTHY fraction below which a backend service needs a remediation,
 * configuration that drifted from what lbmedic last set, and the episodes that give repeated ticks
 * one incident id. Pure: the watch activity (activities/watch.ts) decides with them on what it read.
 */
import type { RootCause } from './causes';
import { ROOT_CAUSES } from './causes';
import type { Incident } from './model';
import type { PolicySet } from '../policies/schema';
import { selectPolicy } from '../policies/select';

/**
 * The shortest interval between two ticks. getHealth reports what the health checkers last saw, and
 * that changes at most once per health check interval (5 s by default; gcp-facts §1): reading it more
 * often spends quota on the same answer.
 */
export const WATCH_INTERVAL_FLOOR_SEC = 5;
/** The interval when none is given. */
export const DEFAULT_WATCH_INTERVAL_SEC = 15;
/**
 * Compute's default read-request quota per project and minute (`ReadRequestsPerMinutePerProject`,
 * https://cloud.google.com/compute/docs/api-rate-limits), the same for list requests.
 */
export const COMPUTE_READS_PER_MINUTE = 1500;
/**
 * The share of that quota the watch may spend: the rest is the diagnosis's, the fixes', the
 * console's and every other tool's in the project.
 */
export const WATCH_QUOTA_SHARE = 0.1;
/** The registered type of a watch tick (workflows/watch.ts). */
export const WATCH_WORKFLOW = 'watchWorkflow';

const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
/** The project's watch schedule, and the id its ticks start from (the schedule appends the time). */
export const watchScheduleId = (project: string) => `lbmedic-watch/${clean(project)}`;

/** Compute reads the watch spends per minute at most: 150. */
export const WATCH_READS_PER_MINUTE = Math.floor(COMPUTE_READS_PER_MINUTE * WATCH_QUOTA_SHARE);

/** Why an interval cannot be used, in words that say what to do; undefined when it can. */
export function watchIntervalProblem(sec: number): string | undefined {
  if (!Number.isFinite(sec) || sec < WATCH_INTERVAL_FLOOR_SEC) {
    return `must be at least ${WATCH_INTERVAL_FLOOR_SEC}s: getHealth changes at most once per health check interval (5s by default), so reading it more often only spends Compute read quota`;
  }
  return undefined;
}

/** Compute reads one tick may make: the watch's per-minute share, spread over the ticks of a minute. */
export function readBudgetPerTick(intervalSec: number): number {
  return Math.max(1, Math.floor((WATCH_READS_PER_MINUTE * intervalSec) / 60));
}

/** A backend service in scope, as listed: how many getHealth calls reading it costs. */
export interface WatchedService {
  backendService: string;
  region?: string;
  /** Health-checked backend groups: one getHealth each. */
  groups: number;
}

/** The key of a backend service across ticks (a name is unique per project, global and regional). */
export const serviceKey = (s: { backendService: string; region?: string }) =>
  `${s.region ?? 'global'}/${s.backendService}`;

/**
 * The backend services one tick reads, starting at `cursor` and going round: as many as the budget
 * left after the `listed` list requests allows. With more than one tick's worth, the next tick goes on
 * where this one stopped, so every backend service is read within ⌈cost / budget⌉ ticks.
 */
export function servicesThisTick(
  services: WatchedService[],
  budget: number,
  listed: number,
  cursor: number,
): { read: WatchedService[]; skipped: number; nextCursor: number } {
  const read: WatchedService[] = [];
  let left = budget - listed;
  let i = 0;
  const n = services.length;
  for (; i < n; i++) {
    const s = services[(cursor + i) % n]!;
    if (s.groups > left) break;
    left -= s.groups;
    read.push(s);
  }
  return { read, skipped: n - read.length, nextCursor: n === 0 ? 0 : (cursor + i) % n };
}

/**
 * The HEALTHY fraction below which the watch starts a remediation, and the policies it comes from.
 * The policy that governs a fix depends on the root cause, which only the diagnosis knows; the watch
 * takes, over every cause, the policy that would govern it for this backend service (no alert labels)
 * and that may change something (not `escalate`), the lowest `verification.healthyFraction`: below
 * it, the backend service is unhealthy by the measure of every fix lbmedic could make. With no such
 * policy, the schema's default, 1 (every backend HEALTHY).
 */
export function watchThreshold(
  set: PolicySet,
  ctx: { project: string; backendService: string },
): { fraction: number; policies: string[] } {
  const governing = new Map<string, number>();
  for (const cause of ROOT_CAUSES as RootCause[]) {
    const p = selectPolicy(set, cause, { ...ctx, labels: {} });
    if (p && p.action.type !== 'escalate') governing.set(p.name, p.verification.healthyFraction);
  }
  if (governing.size === 0) return { fraction: 1, policies: [] };
  return { fraction: Math.min(...governing.values()), policies: [...governing.keys()].sort() };
}

/** What a tick read of one backend service's health. */
export interface HealthReading {
  backendService: string;
  region?: string;
  /** Undefined when getHealth could not be read (then nothing is concluded). */
  healthy?: number;
  total?: number;
  threshold: number;
  error?: string;
}

/** A resource lbmedic set in a REMEDIATED run, and whether it still holds what lbmedic set. */
export interface DriftReading {
  backendService: string;
  region?: string;
  /** The plan step (`healthCheck/web-hc`). */
  step: string;
  /** The resource, for people: `health check web-hc`. */
  resource: string;
  /** The run that set it. */
  workflowId: string;
  runId: string;
  holds: boolean;
}

/** A problem the watch saw on consecutive ticks, with the one incident id it is reported under. */
export interface Episode {
  incidentId: string;
  /** When the watch first saw it (ISO). */
  since: string;
  summary: string;
  backendService: string;
  region?: string;
  /** The governor took it (started, attached or queued): later ticks leave it to that run. */
  admitted: boolean;
}

/** Episodes by key: `health <region>/<bs>` or `drift <region>/<bs> <step>`. */
export type Episodes = Record<string, Episode>;

export interface WatchDecision {
  /** Every open episode after this tick (the next tick's `previous`). */
  episodes: Episodes;
  /** The keys of the episodes to hand to the governor now. */
  admit: string[];
}

const pct = (f: number) => `${Math.round(f * 100)}%`;

/** A tick's incident id: the watch, the key and when the episode began (ms), unique per episode. */
export const watchIncidentId = (key: string, sinceMs: number) =>
  `watch/${key.replace(/\s+/g, '/')}/${sinceMs}`;

/**
 * One tick's decision. A backend service below its threshold, or a resource no longer as lbmedic set
 * it, is an episode: it keeps its incident id while it lasts, so repeated ticks attach to one
 * remediation instead of starting new ones, and it is handed to the governor until the governor has
 * taken it. It ends when the backend service is at its threshold again (or the resource holds again);
 * a later problem is a new episode. A reading that failed ends nothing: nothing is known.
 */
export function decideWatch(input: {
  now: string;
  health: HealthReading[];
  drift: DriftReading[];
  previous: Episodes;
}): WatchDecision {
  const episodes: Episodes = {};
  const admit: string[] = [];
  const open = (key: string, base: Omit<Episode, 'incidentId' | 'since' | 'admitted'>) => {
    const before = input.previous[key];
    const since = before?.since ?? input.now;
    const episode = before
      ? { ...before, summary: base.summary }
      : { ...base, since, incidentId: watchIncidentId(key, Date.parse(since)), admitted: false };
    episodes[key] = episode;
    if (!episode.admitted) admit.push(key);
  };
  const keep = (key: string) => {
    const before = input.previous[key];
    if (before) episodes[key] = before;
  };
  for (const h of input.health) {
    const key = `health ${serviceKey(h)}`;
    const where = { backendService: h.backendService, ...(h.region ? { region: h.region } : {}) };
    if (h.healthy === undefined || h.total === undefined) keep(key);
    else if (h.total > 0 && h.healthy / h.total < h.threshold) {
      const summary = `watch: ${h.healthy}/${h.total} HEALTHY, below ${pct(h.threshold)}`;
      open(key, { ...where, summary });
    }
  }
  for (const d of input.drift) {
    const key = `drift ${serviceKey(d)} ${d.step}`;
    if (d.holds) continue;
    const where = { backendService: d.backendService, ...(d.region ? { region: d.region } : {}) };
    open(key, { ...where, summary: `watch: ${d.resource} is no longer as lbmedic set it (${d.workflowId})` });
  }
  return { episodes, admit };
}

/** The `source` of the incidents the watch hands the governor. */
export const WATCH_SOURCE = 'watch';

/** Who a remediation the watch started was triggered by, in its input and record. */
export const WATCH_TRIGGER = 'lbmedic-watch';

/** The incident the governor gets for an episode: source `watch`, started when the episode began. */
export function watchIncident(e: Episode, now: string): Incident {
  return {
    incidentId: e.incidentId,
    state: 'open',
    source: WATCH_SOURCE,
    summary: e.summary,
    ...(e.region ? { region: e.region } : {}),
    startedAt: Math.floor(Date.parse(e.since) / 1000),
    receivedAt: now,
  };
}
