/**
 * What earlier runs did, from Temporal's visibility store: the limits (cooldown, daily maximum,
 * circuit breaker) and incident de-duplication hold across workflow runs.
 */
import type { Client } from '@temporalio/client';
import { SA } from '../core/search-attributes';
import type { PastRemediation } from '../core/limits';

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

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
    }): Promise<{ remediations: PastRemediation[]; seenIncidents: string[] }> {
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
      for await (const wf of temporal.workflow.list({ query })) {
        if (wf.workflowId === input.workflowId && wf.runId === input.runId) continue;
        const outcome = wf.typedSearchAttributes.get(SA.outcome);
        const memo = wf.memo ?? {};
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
      return { remediations, seenIncidents: [...seen].sort() };
    },
  };
}
