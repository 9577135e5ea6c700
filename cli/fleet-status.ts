/**
 * The fleet as `lbmedic status` shows it without a workflow id: the kill switches (global and per
 * project) and each project's governor (what runs, what waits, the window, the breaker). Read from
 * the memos of their workflows, which is also what the Temporal UI shows, so it answers without a
 * worker.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Breaker, FleetCounts, FleetSettings } from '../core/fleet';
import {
  GOVERNOR_WORKFLOW,
  governorWorkflowId,
  KILL_SWITCH_WORKFLOW,
  killSwitchWorkflowId,
  type SwitchState,
} from '../core/model';
import { SA } from '../core/search-attributes';

export interface SwitchView extends SwitchState {
  /** `*` for the global switch. */
  project: string;
}

export interface GovernorView {
  project: string;
  running: string[];
  queued: string[];
  queueLength: number;
  counts?: FleetCounts;
  breaker?: Breaker;
  limits?: FleetSettings;
}

export interface FleetView {
  switches: SwitchView[];
  governors: GovernorView[];
}

async function memo(client: Client, workflowId: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).memo ?? {};
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

function switchView(project: string, m: Record<string, unknown> | undefined): SwitchView | undefined {
  const s = m?.switch as SwitchState | undefined;
  return s ? { project, ...s } : undefined;
}

function governorView(project: string, m: Record<string, unknown> | undefined): GovernorView | undefined {
  if (!m) return undefined;
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    project,
    running: list(m.running),
    queued: list(m.queued),
    queueLength: typeof m.queueLength === 'number' ? m.queueLength : 0,
    ...(m.counts ? { counts: m.counts as FleetCounts } : {}),
    ...(m.breaker ? { breaker: m.breaker as Breaker } : {}),
    ...(m.limits ? { limits: m.limits as FleetSettings } : {}),
  };
}

/** The running control workflows of one type, with their project (search attribute) and memo. */
async function listed(client: Client, type: string) {
  const out: { project: string; memo: Record<string, unknown> }[] = [];
  const query = `WorkflowType = '${type}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) {
    out.push({ project: wf.typedSearchAttributes.get(SA.project) ?? '?', memo: wf.memo ?? {} });
  }
  return out.sort((a, b) => a.project.localeCompare(b.project));
}

/** The switches and governors of one project (with the global switch), or of every project. */
export async function readFleet(client: Client, project?: string): Promise<FleetView> {
  if (project !== undefined) {
    const [global, own, governor] = await Promise.all([
      memo(client, killSwitchWorkflowId()),
      memo(client, killSwitchWorkflowId(project)),
      memo(client, governorWorkflowId(project)),
    ]);
    const switches = [switchView('*', global), switchView(project, own)].filter((s) => s !== undefined);
    const g = governorView(project, governor);
    return { switches, governors: g ? [g] : [] };
  }
  const [switches, governors] = await Promise.all([
    listed(client, KILL_SWITCH_WORKFLOW),
    listed(client, GOVERNOR_WORKFLOW),
  ]);
  return {
    switches: switches.flatMap((s) => switchView(s.project, s.memo) ?? []),
    governors: governors.flatMap((g) => governorView(g.project, g.memo) ?? []),
  };
}

/** One kill switch in words. */
export function switchLine(s: SwitchView): string {
  const scope = s.project === '*' ? 'every project' : `project ${s.project}`;
  const who = s.by ? ` by ${s.by}${s.at ? ` at ${s.at}` : ''}` : '';
  return `${scope}: ${s.paused ? 'PAUSED' : 'ACTIVE'}${who}${s.paused && s.reason ? `: ${s.reason}` : ''}`;
}

/** The fleet as a person reads it. */
export function renderFleet(view: FleetView): string {
  const out = ['kill switches'];
  if (!view.switches.some((s) => s.project === '*')) out.push('  every project: ACTIVE (never paused)');
  for (const s of view.switches) out.push(`  ${switchLine(s)}`);
  out.push('fleet');
  if (view.governors.length === 0) out.push('  no governor yet: no alert has been admitted');
  for (const g of view.governors) {
    const l = g.limits;
    const running = `${g.running.length}${l ? `/${l.maxConcurrent}` : ''} running${g.running.length ? ` (${g.running.join(', ')})` : ''}`;
    const queued = `${g.queueLength}${l ? `/${l.queue}` : ''} queued${g.queued.length ? ` (${g.queued.join(', ')})` : ''}`;
    const counts = g.counts
      ? `; so far ${g.counts.started} started, ${g.counts.queued} queued, ${g.counts.refused} refused`
      : '';
    out.push(`  project ${g.project}: ${running}, ${queued}${counts}`);
    if (l) {
      out.push(
        `    limits: ${l.maxConcurrent} at once, ${l.maxNew} new per ${Math.round(l.windowSec / 60)} min, queue ${l.queue}; ` +
          `breaker at ${l.breaker.backendServices} backend services within ${Math.round(l.breaker.windowSec / 60)} min`,
      );
    }
    out.push(
      g.breaker
        ? `    fleet circuit breaker: OPEN since ${g.breaker.since} (${g.breaker.backendServices.length} backend services alerted): every new plan waits for a person`
        : '    fleet circuit breaker: closed',
    );
  }
  return out.join('\n');
}
