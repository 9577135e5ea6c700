/**
 * The health watch's Temporal Schedule, one per project (docs/watch.md): created, changed, removed
 * and described through the Temporal client. `lbmedic watch`, the worker's start-up
 * (LBMEDIC_WATCH_EVERY) and the MTTR benchmark all go through here.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
} from '@temporalio/client';
import type { WatchInput } from '../activities/watch';
import type { WatchTickResult } from '../workflows/watch';
import { WATCH_WORKFLOW, watchIntervalProblem, watchScheduleId, readBudgetPerTick } from '../core/watch';

/** How late a missed tick may still run (after a server outage): later ones are dropped, not piled up. */
const CATCHUP_WINDOW = '1 minute';
/** A tick that runs longer than this is ended: the next tick reads afresh. */
const TICK_TIMEOUT = '5 minutes';

/**
 * Starts watching `input.project` every `input.everySec` seconds, or changes the interval and
 * targets of the watch that runs. Ticks overlap never (SKIP): a slow read makes the next tick wait
 * for the one after it instead of piling up. Returns whether it was created or updated.
 */
export async function enableWatch(client: Client, input: WatchInput): Promise<'created' | 'updated'> {
  const problem = watchIntervalProblem(input.everySec);
  if (problem) throw new Error(`watch interval ${input.everySec}s: ${problem}`);
  const scheduleId = watchScheduleId(input.project);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: WATCH_WORKFLOW,
    workflowId: scheduleId,
    taskQueue: input.governorTaskQueue,
    args: [input],
    workflowExecutionTimeout: TICK_TIMEOUT,
  };
  const spec = { intervals: [{ every: `${input.everySec}s` }] };
  const policies = {
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: CATCHUP_WINDOW,
    pauseOnFailure: false,
  };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, memo: { project: input.project } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action, policies }));
  return 'updated';
}

/** Stops watching `project`; false when it was not watched. */
export async function disableWatch(client: Client, project: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(watchScheduleId(project)).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** What `lbmedic watch status` shows. */
export interface WatchState {
  project: string;
  enabled: boolean;
  everySec?: number;
  /** Compute reads a tick may make (docs/watch.md, "Quota"). */
  readBudget?: number;
  paused?: boolean;
  nextAt?: string;
  ticks?: number;
  skippedOverlap?: number;
  /** The latest finished tick's result. */
  last?: WatchTickResult;
}

/** The watch of `project`: its schedule, and what its latest finished tick saw. */
export async function describeWatch(client: Client, project: string): Promise<WatchState> {
  let d;
  try {
    d = await client.schedule.getHandle(watchScheduleId(project)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { project, enabled: false };
    throw err;
  }
  const everySec = (d.spec.intervals?.[0]?.every as number | undefined) ?? undefined;
  const state: WatchState = {
    project,
    enabled: true,
    ...(everySec === undefined
      ? {}
      : { everySec: everySec / 1000, readBudget: readBudgetPerTick(everySec / 1000) }),
    paused: d.state.paused,
    ...(d.info.nextActionTimes[0] ? { nextAt: d.info.nextActionTimes[0].toISOString() } : {}),
    ticks: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
  };
  for (const a of [...d.info.recentActions].reverse()) {
    const wf = a.action.workflow;
    const h = client.workflow.getHandle(wf.workflowId, wf.firstExecutionRunId);
    if ((await h.describe()).status.name !== 'COMPLETED') continue;
    state.last = (await h.result()) as WatchTickResult;
    break;
  }
  return state;
}

/**
 * The watch the configuration asks for (LBMEDIC_WATCH_EVERY), enabled at worker start-up for every
 * project the scope names exactly (a glob names no project to schedule). Returns what it did, in words.
 */
export async function watchFromConfig(
  client: Client,
  opts: { everySec: number | undefined; projects: string[]; taskQueue: string; governorTaskQueue: string },
): Promise<string[]> {
  if (opts.everySec === undefined) return [];
  const exact = opts.projects.filter((p) => !/[*?]/.test(p));
  const out: string[] = [];
  for (const project of exact) {
    const done = await enableWatch(client, {
      project,
      everySec: opts.everySec,
      taskQueue: opts.taskQueue,
      governorTaskQueue: opts.governorTaskQueue,
    });
    out.push(`health watch of ${project} every ${opts.everySec}s (${done})`);
  }
  const globs = opts.projects.filter((p) => /[*?]/.test(p));
  if (globs.length > 0)
    out.push(
      `no health watch for ${globs.join(', ')}: a glob names no project; use lbmedic watch enable --project P`,
    );
  return out;
}
