/**
 * `lbmedic policies stats [--since 30d] [--json]`: each policy's measured success, folded from the
 * closed remediations' records in Temporal's visibility store (activities/autonomy.ts): runs, changes
 * applied, verified HEALTHY, rolled back, rolled back for collateral, escalated and observed, and
 * the streak earned promotion counts (docs/autonomy.md).
 */
import { parseArgs } from 'node:util';
import { readRunSummaries } from '../activities/autonomy';
import { foldRecords, type PolicyRecords } from '../core/autonomy';
import type { Config } from '../runtime/config';
import { parseSince } from './history';
import { consoleOutput, type Output } from './output';
import { EXIT, run, withClient } from './remediation-client';

export const POLICY_STATS_USAGE = `  lbmedic policies stats [--since 30d] [--json]
      Each policy's record from the closed remediations: runs, applied, verified HEALTHY, rolled back,
      collateral, escalated, observed, and verified runs since the last rollback (docs/autonomy.md).`;

const COLUMNS = [
  ['runs', 'runs'],
  ['applied', 'applied'],
  ['verified', 'verified'],
  ['rolled back', 'rolledBack'],
  ['collateral', 'collateral'],
  ['escalated', 'escalated'],
  ['observed', 'observed'],
  ['streak', 'streak'],
] as const;

/** The record as a table, one policy a line, alphabetically; the success rate is verified/applied. */
export function renderStats(records: PolicyRecords, unrecorded: number, since: string): string {
  const names = Object.keys(records).sort();
  if (names.length === 0)
    return `no remediation with a record closed in the last ${since}${unrecorded ? ` (${unrecorded} without one)` : ''}`;
  const rows = [
    ['policy', ...COLUMNS.map(([h]) => h), 'success'],
    ...names.map((n) => {
      const r = records[n]!;
      const success = r.applied === 0 ? '-' : `${Math.round((r.verified / r.applied) * 100)}%`;
      return [n, ...COLUMNS.map(([, k]) => String(r[k])), success];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
  );
  const left = unrecorded
    ? `; ${unrecorded} closed run(s) left no record (started before records, or no plan)`
    : '';
  return [...lines, `closed in the last ${since}${left}`].join('\n');
}

export async function cmdPolicyStats(
  args: string[],
  config: Config,
  io: Output = consoleOutput(),
): Promise<number> {
  return run('policies stats', POLICY_STATS_USAGE, io, async () => {
    const { values } = parseArgs({
      args,
      options: { since: { type: 'string', default: '30d' }, json: { type: 'boolean' } },
    });
    const since = new Date(Date.now() - parseSince(values.since));
    return withClient(config, async (client) => {
      const { runs, unrecorded } = await readRunSummaries(client, since);
      const records = foldRecords(runs);
      io.out(
        values.json
          ? JSON.stringify({ since: since.toISOString(), unrecorded, policies: records }, null, 2)
          : renderStats(records, unrecorded, values.since),
      );
      return EXIT.ok;
    });
  });
}
