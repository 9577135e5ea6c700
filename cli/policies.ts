/** `lbmedic policies validate [DIR]`: loads a policy folder as the worker would, and lists it. */
import type { Config } from '../runtime/config';
import { DEFAULT_POLICY_DIR, loadConfiguredPolicies } from '../runtime/policy-loader';
import { UsageError } from './flags';
import { cmdPolicyStats, POLICY_STATS_USAGE } from './policy-stats';

export const POLICIES_VALIDATE_USAGE = `  lbmedic policies validate [DIR]
      Validates a policy folder (default: the shipped policies/, or LBMEDIC_POLICY_DIR).`;
export { POLICY_STATS_USAGE };
export const POLICIES_USAGE = `${POLICIES_VALIDATE_USAGE}\n${POLICY_STATS_USAGE}`;

export function cmdPolicies(args: string[], config: Config): number | Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'stats') return cmdPolicyStats(rest, config);
  if (sub !== 'validate')
    throw new UsageError(sub === undefined ? 'policies what?' : `unknown policies subcommand "${sub}"`);
  const dir = rest[0] ?? config.policyDir ?? DEFAULT_POLICY_DIR;
  const set = loadConfiguredPolicies(config, { dir });
  console.log(
    `${dir}: ${set.policies.length} valid polic${set.policies.length === 1 ? 'y' : 'ies'}${set.settings.killSwitch ? ' (kill switch ON: everything is dry-run)' : ''}`,
  );
  const who = set.approvers.map((a) => a.name).join(', ');
  console.log(
    `  ${set.approvers.length} approver${set.approvers.length === 1 ? '' : 's'} with keys${who ? `: ${who}` : ''}`,
  );
  for (const p of set.policies) {
    console.log(
      `  ${p.name.padEnd(28)} ${p.match.causes.join(',').padEnd(24)} ${p.action.type.padEnd(22)} ${p.approval.mode}${
        p.approval.promote ? ` (promotes after ${p.approval.promote.after} verified)` : ''
      }${p.approval.mode === 'suggest' && p.approval.authentication === 'open' ? ' (authentication OPEN)' : ''}${p.dryRun ? ' dry-run' : ''}`,
    );
  }
  return 0;
}
