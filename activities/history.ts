/**
 * What earlier runs did, from Temporal's visibility store: the limits (cooldown, daily maximum,
 * circuit breaker) and incident de-duplication hold across workflow runs.
 */
import { isGrpcServiceError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { SA } from '../core/search-attributes';
import type { PastRemediation } from '../core/limits';

/** gRPC UNIMPLEMENTED. */
const UNIMPLEMENTED = 12;

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Statuses of a run that ended without recording an outcome (a continue-as-new is not one). */
const ENDED_WITHOUT_OUTCOME = new Set(['TERMINATED', 'TIMED_OUT', 'FAILED', 'CANCELLED']);
/** How long such a run makes the next one need a person. */
const UNFINISHED_MANUAL_HOURS = 24;

/**
 * Why the next run needs a person, when `wf` ended without an outcome (terminated, timed out) while
 * it waited for one: a lost run never turns its alert automatic (docs/safety.md, "Runs").
 */
function unfinishedManual(
  wf: WorkflowExecutionInfo,
  outcome: string | undefined,
  memo: Record<string, unknown>,
): string | undefined {
  if (outcome || !ENDED_WITHOUT_OUTCOME.has(wf.status.name)) return undefined;
  if (!wf.closeTime || Date.now() - wf.closeTime.getTime() > UNFINISHED_MANUAL_HOURS * 3_600_000)
    return undefined;
  const phase = wf.typedSearchAttributes.get(SA.phase);
  const waiting = phase === 'AWAITING_APPROVAL' || typeof memo.needsPerson === 'string';
  if (!waiting) return undefined;
  return `an earlier run (${wf.runId}) ended ${wf.status.name.toLowerCase()} while it needed a person${
    typeof memo.needsPerson === 'string' ? ` (${memo.needsPerson})` : ''
  }`;
}

export function createHistoryActivities(temporal: Client) {
  return {
    async pastRemediations(input: {
      project: string;
      backendService: string;
      /** Look back this far (hours). */
      sinceHours: number;
      /** Incident ids to look for among closed runs. */
      incidentIds: string[];
      /** The asking run, excluded. */
      workflowId: string;
      runId: string;
    }): Promise<{
      remediations: PastRemediation[];
      seenIncidents: string[];
      /** An earlier run ended without an outcome (terminated, timed out, failed) while it needed a person. */
      needsPerson?: string;
      unavailable?: string;
    }> {
      const since = new Date(Date.now() - input.sinceHours * 3_600_000).toISOString();
      const query = [
        `WorkflowType = 'remediationWorkflow'`,
        `${SA.project.name} = ${quote(input.project)}`,
        `${SA.backendService.name} = ${quote(input.backendService)}`,
        `ExecutionStatus != 'Running'`,
        `CloseTime > ${quote(since)}`,
      ].join(' AND ');
      const remediations: PastRemediation[] = [];
      const seen = new Set<string>();
      const wanted = new Set(input.incidentIds);
      let needsPerson: string | undefined;
      try {
        for await (const wf of temporal.workflow.list({ query })) {
          if (wf.workflowId === input.workflowId && wf.runId === input.runId) continue;
          const outcome = wf.typedSearchAttributes.get(SA.outcome);
          const memo = wf.memo ?? {};
          needsPerson ??= unfinishedManual(wf, outcome, memo);
          const incidents = Array.isArray(memo.incidents) ? (memo.incidents as unknown[]).map(String) : [];
          for (const i of incidents) if (wanted.has(i)) seen.add(i);
          if (outcome && wf.closeTime) {
            remediations.push({
              workflowId: wf.workflowId,
              runId: wf.runId,
              closedAt: wf.closeTime.toISOString(),
              outcome,
            });
          }
        }
      } catch (err) {
        // A server without a visibility API (the time-skipping test server) cannot answer at all;
        // say so rather than fail every remediation. Any other error is retried by Temporal.
        const grpc = isGrpcServiceError(err) ? err : (err as { cause?: unknown }).cause;
        if (!(isGrpcServiceError(grpc) && grpc.code === UNIMPLEMENTED)) throw err;
        return {
          remediations: [],
          seenIncidents: [],
          unavailable: `visibility unavailable: ${grpc.details}`,
        };
      }
      return { remediations, seenIncidents: [...seen].sort(), ...(needsPerson ? { needsPerson } : {}) };
    },
  };
}
