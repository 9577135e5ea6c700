/**
 * The policies' record from Temporal's visibility store: every closed remediation leaves its mode,
 * its policies and whether its change hurt another backend service in its memo (`autonomy`), and its
 * outcome in the `LbmedicOutcome` search attribute. `policyRecords` folds them for the `decide`
 * activity (earned promotion, recorded, so a replay keeps the mode); `lbmedic policies stats` folds
 * the same runs into a table.
 */
import { isGrpcServiceError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { foldRecords, type AutonomyMemo, type PolicyRecords, type RunSummary } from '../core/autonomy';
import { REMEDIATION_WORKFLOW } from '../core/model';
import { SA } from '../core/search-attributes';
import type { PolicySet } from '../policies/schema';

/** gRPC UNIMPLEMENTED. */
const UNIMPLEMENTED = 12;

function isMemo(v: unknown): v is AutonomyMemo {
  const m = v as Partial<AutonomyMemo> | undefined;
  return Array.isArray(m?.policies) && Array.isArray(m?.escalations) && typeof m?.modes === 'object';
}

/** One closed run as the record reads it, or undefined when it left no record (an older run). */
export function summaryOf(wf: WorkflowExecutionInfo): RunSummary | undefined {
  const outcome = wf.typedSearchAttributes.get(SA.outcome);
  const autonomy = wf.memo?.autonomy;
  if (!outcome || !wf.closeTime || !isMemo(autonomy)) return undefined;
  return { closedAt: wf.closeTime.toISOString(), outcome, autonomy };
}

/** The closed remediations since `since`: those with a record, and how many ended without one. */
export async function readRunSummaries(
  temporal: Client,
  since: Date,
): Promise<{ runs: RunSummary[]; unrecorded: number }> {
  const query = [
    `WorkflowType = '${REMEDIATION_WORKFLOW}'`,
    `ExecutionStatus != 'Running'`,
    `CloseTime > '${since.toISOString()}'`,
  ].join(' AND ');
  const runs: RunSummary[] = [];
  let unrecorded = 0;
  for await (const wf of temporal.workflow.list({ query })) {
    // A run that continued as new is counted once, by the run that ended it.
    if (wf.status.name === 'CONTINUED_AS_NEW') continue;
    const run = summaryOf(wf);
    if (run) runs.push(run);
    else unrecorded += 1;
  }
  return { runs, unrecorded };
}

export function createAutonomyActivities(temporal: Client, policies: PolicySet) {
  const promotable = policies.policies.flatMap((p) =>
    p.approval.promote ? [{ name: p.name, windowSec: p.approval.promote.window }] : [],
  );
  return {
    /**
     * The records of the policies that can be promoted (`approval.promote`), over the longest of their
     * windows; nothing to read when none can. Run as a local activity before `decide`: recorded.
     */
    async policyRecords(): Promise<PolicyRecords> {
      if (promotable.length === 0) return {};
      const now = Date.now();
      const longest = Math.max(...promotable.map((p) => p.windowSec));
      try {
        const { runs } = await readRunSummaries(temporal, new Date(now - longest * 1000));
        // Each policy's record over its own window.
        return Object.fromEntries(
          promotable.flatMap(({ name, windowSec }) => {
            const since = now - windowSec * 1000;
            const record = foldRecords(runs.filter((r) => Date.parse(r.closedAt) > since))[name];
            return record ? [[name, record]] : [];
          }),
        );
      } catch (err) {
        // A server without visibility (the time-skipping test server): nothing is earned.
        const grpc = isGrpcServiceError(err) ? err : (err as { cause?: unknown }).cause;
        if (isGrpcServiceError(grpc) && grpc.code === UNIMPLEMENTED) return {};
        throw err;
      }
    },
  };
}
