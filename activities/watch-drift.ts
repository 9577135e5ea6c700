/**
 * Drift for the health watch: the resources lbmedic set in the latest run that changed each backend
 * service in scope, read again and compared with what lbmedic set (the mutation modules' `holds`, as a
 * retried apply compares them). A run's plan and applied steps come from its result (the completion
 * event of its history); which runs, from Temporal's visibility store.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { APPLIED_OUTCOMES, REMEDIATION_WORKFLOW } from '../core/model';
import type { PlanStep } from '../core/plan';
import { SA } from '../core/search-attributes';
import type { DriftReading } from '../core/watch';
import type { GcpClients } from './gcp-clients';
import { describeMutation, mutationModule } from './mutations';

/** How far back the watch looks for runs that changed something. */
export const DRIFT_LOOKBACK_HOURS = 24;
/** Closed runs looked at per tick; resources read per tick, at most. */
const MAX_RUNS = 50;
const MAX_STEPS = 20;

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

interface Changed {
  backendService: string;
  workflowId: string;
  runId: string;
  closedAt: number;
  outcome: string;
}

/** The latest closed run per backend service that applied something (REMEDIATED or rolled back). */
async function latestChanges(temporal: Client, project: string, inScope: Set<string>): Promise<Changed[]> {
  const since = new Date(Date.now() - DRIFT_LOOKBACK_HOURS * 3_600_000).toISOString();
  const query = [
    `WorkflowType = '${REMEDIATION_WORKFLOW}'`,
    `${SA.project.name} = ${quote(project)}`,
    `ExecutionStatus != 'Running'`,
    `CloseTime > ${quote(since)}`,
  ].join(' AND ');
  const latest = new Map<string, Changed>();
  let seen = 0;
  for await (const wf of temporal.workflow.list({ query })) {
    if (++seen > MAX_RUNS) break;
    const outcome = wf.typedSearchAttributes.get(SA.outcome);
    const bs = wf.typedSearchAttributes.get(SA.backendService);
    if (!outcome || !bs || !wf.closeTime || !inScope.has(bs)) continue;
    if (!(APPLIED_OUTCOMES as readonly string[]).includes(outcome)) continue;
    const closedAt = wf.closeTime.getTime();
    if ((latest.get(bs)?.closedAt ?? 0) >= closedAt) continue;
    latest.set(bs, { backendService: bs, workflowId: wf.workflowId, runId: wf.runId, closedAt, outcome });
  }
  return [...latest.values()];
}

/**
 * Reads every resource the latest REMEDIATED run of each backend service in scope set, and whether it
 * still holds what was set. A backend service whose latest change was rolled back has nothing of
 * lbmedic's to hold. Each resource read is one Compute read (`requests`).
 */
export async function readDrift(
  clients: GcpClients,
  temporal: Client,
  input: {
    project: string;
    inScope: { backendService: string; region?: string }[];
    /** Compute reads left in the tick's budget. */
    maxReads: number;
  },
): Promise<{ readings: DriftReading[]; requests: number; notes: string[] }> {
  const regionOf = new Map(input.inScope.map((s) => [s.backendService, s.region]));
  const readings: DriftReading[] = [];
  const notes: string[] = [];
  let requests = 0;
  if (input.maxReads <= 0)
    return { readings, requests, notes: ['drift: not read, the tick’s reads went to getHealth'] };
  const runs = await latestChanges(temporal, input.project, new Set(regionOf.keys()));
  for (const run of runs.filter((r) => r.outcome === 'REMEDIATED')) {
    let result: { plan?: { steps: PlanStep[] }; applied: string[] };
    try {
      result = await temporal.workflow.getHandle(run.workflowId, run.runId).result();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue;
      throw err;
    }
    const region = regionOf.get(run.backendService);
    const where = { backendService: run.backendService, ...(region ? { region } : {}) };
    for (const step of (result.plan?.steps ?? []).filter((s) => result.applied.includes(s.id))) {
      if (requests >= Math.min(MAX_STEPS, input.maxReads)) {
        notes.push(`drift: ${requests} resource(s) read, the most this tick allows (docs/watch.md, "Quota")`);
        return { readings, requests, notes };
      }
      const m = mutationModule(step.apply);
      requests += 1;
      const current = await m.read(clients, input.project, step.apply as never);
      readings.push({
        ...where,
        step: step.id,
        resource: describeMutation(step.apply),
        workflowId: run.workflowId,
        runId: run.runId,
        holds: m.holds(current, step.apply as never),
      });
    }
  }
  return { readings, requests, notes };
}
