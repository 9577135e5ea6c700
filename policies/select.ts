/**
 * Which policy governs a root cause for a backend service. Pure (used in workflows and the CLI).
 *
 * Precedence between matching policies, highest first:
 *  1. `priority` (a number; higher wins);
 *  2. specificity: an exact backend-service name beats a glob, which beats `*`; the same for the
 *     project; each matched label adds one;
 *  3. the policy name, alphabetically (so the choice never depends on file order).
 * No matching policy: the cause is escalated in dry-run (nothing changes unless a policy allows it).
 */
import type { RootCause } from '../core/causes';
import { globMatch } from '../core/glob';
import type { Policy, PolicySet } from './schema';

export interface SelectionContext {
  project: string;
  backendService: string;
  /** The alert's policy user labels (empty when started by hand). */
  labels: Record<string, string>;
}

function specificity(globs: string[], name: string): number {
  let best = -1;
  for (const g of globs) {
    if (!globMatch(g, name)) continue;
    best = Math.max(best, g === name ? 2 : g === '*' ? 0 : 1);
  }
  return best;
}

export interface Candidate {
  policy: Policy;
  /** Sort key parts, for explaining the choice. */
  priority: number;
  specificity: number;
}

/** Policies matching `cause` in `ctx`, best first. */
export function candidates(set: PolicySet, cause: RootCause, ctx: SelectionContext): Candidate[] {
  const out: Candidate[] = [];
  for (const policy of set.policies) {
    if (!policy.match.causes.includes(cause)) continue;
    const p = specificity(policy.match.projects, ctx.project);
    const b = specificity(policy.match.backendServices, ctx.backendService);
    if (p < 0 || b < 0) continue;
    const labels = Object.entries(policy.match.labels);
    if (!labels.every(([k, v]) => ctx.labels[k] === v)) continue;
    out.push({ policy, priority: policy.priority, specificity: p + b + labels.length });
  }
  return out.sort(
    (x, y) =>
      y.priority - x.priority || y.specificity - x.specificity || x.policy.name.localeCompare(y.policy.name),
  );
}

export function selectPolicy(set: PolicySet, cause: RootCause, ctx: SelectionContext): Policy | undefined {
  return candidates(set, cause, ctx)[0]?.policy;
}
