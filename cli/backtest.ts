/**
 * `lbmedic backtest [--since 30d] [--policies DIR] [--json]`: runs today's classifier and policies
 * (or DIR's) over the evidence closed remediations recorded in their Temporal histories, and reports
 * where the decision would differ: cause, plan, mode (core/backtest.ts, docs/autonomy.md). It reads
 * Temporal only: nothing in GCP is read or changed.
 */
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { decide } from '../activities/decide';
import { recordedDecision } from '../activities/recorded-decisions';
import { diffDecisions, renderBacktest, viewOf, type BacktestRow } from '../core/backtest';
import { REMEDIATION_WORKFLOW } from '../core/model';
import { scopeOfProjects } from '../core/scope';
import { SA } from '../core/search-attributes';
import type { PolicySet } from '../policies/schema';
import type { Config } from '../runtime/config';
import { loadConfiguredPolicies } from '../runtime/policy-loader';
import { parseSince } from './history';
import { consoleOutput, type Output } from './output';
import { EXIT, run, withClient } from './remediation-client';

export const BACKTEST_USAGE = `  lbmedic backtest [--since 30d] [--policies DIR] [--limit N] [--json]
      Runs today's classifier and policies (or DIR's) over the evidence closed remediations recorded
      in Temporal, and reports where the decision would differ: cause, plan, mode. Changes nothing.`;

/** Backtests the closed remediations since `since` (newest first, at most `limit`) against `policies`. */
export async function backtest(
  client: Client,
  policies: PolicySet,
  since: Date,
  limit = 500,
): Promise<BacktestRow[]> {
  const query = `WorkflowType = '${REMEDIATION_WORKFLOW}' AND ExecutionStatus != 'Running' AND CloseTime > '${since.toISOString()}'`;
  const rows: BacktestRow[] = [];
  for await (const wf of client.workflow.list({ query })) {
    if (rows.length >= limit) break;
    const project = wf.typedSearchAttributes.get(SA.project);
    const backendService = wf.typedSearchAttributes.get(SA.backendService);
    const base = {
      workflowId: wf.workflowId,
      runId: wf.runId,
      closedAt: wf.closeTime?.toISOString() ?? '?',
      outcome: wf.typedSearchAttributes.get(SA.outcome) ?? wf.status.name,
    };
    if (!project || !backendService) continue;
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const recorded = await recordedDecision(history, { project, backendService });
    if (!recorded) {
      rows.push({ ...base, skipped: 'no decision recorded' });
      continue;
    }
    // The run's own project is the scope: a backtest judges the classifier and the policies.
    const now = decide(policies, recorded.input, scopeOfProjects([project]));
    rows.push({ ...base, diff: diffDecisions(viewOf(recorded.decision), viewOf(now)) });
  }
  return rows.sort((a, b) => b.closedAt.localeCompare(a.closedAt));
}

export async function cmdBacktest(
  args: string[],
  config: Config,
  io: Output = consoleOutput(),
): Promise<number> {
  return run('backtest', BACKTEST_USAGE, io, async () => {
    const { values } = parseArgs({
      args,
      options: {
        since: { type: 'string', default: '30d' },
        policies: { type: 'string' },
        limit: { type: 'string', default: '500' },
        json: { type: 'boolean' },
      },
    });
    const since = new Date(Date.now() - parseSince(values.since));
    const policies = loadConfiguredPolicies(config, { dir: values.policies });
    return withClient(config, async (client) => {
      const rows = await backtest(client, policies, since, Number(values.limit) || 500);
      io.out(values.json ? JSON.stringify(rows, null, 2) : renderBacktest(rows, values.since));
      return EXIT.ok;
    });
  });
}
