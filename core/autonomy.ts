/**
 * Autonomy that is earned (docs/autonomy.md): each policy's mode (observe, suggest, auto), the record
 * of what its past runs did (measured from the memo every closed run leaves in Temporal's visibility
 * store), and the promotion rule that lets a `suggest` policy act on its own once that record shows
 * it can. Pure: the record is read by the `policyRecords` activity and handed to `decide`, so a
 * replay keeps the mode a run was decided with.
 */
import type { Mode, Promote } from '../policies/schema';
import { APPLIED_OUTCOMES } from './model';

export type { Mode } from '../policies/schema';

/** What a closed run leaves in its memo (`autonomy`) for the record: written when it ends. */
export interface AutonomyMemo {
  /** The policies that governed the plan's changes. */
  policies: string[];
  /** The policies that escalated a cause instead of changing anything. */
  escalations: string[];
  /** The run's mode, and each governing policy's. */
  mode: Mode;
  modes: Record<string, Mode>;
  why: string;
  /** The change made another backend service less healthy and was rolled back for it. */
  collateral: boolean;
}

/** One closed run as the record reads it. */
export interface RunSummary {
  closedAt: string;
  outcome: string;
  autonomy: AutonomyMemo;
}

/** Measured success of one policy over a window. */
export interface PolicyStats {
  runs: number;
  applied: number;
  /** Applied and verified HEALTHY (REMEDIATED). */
  verified: number;
  rolledBack: number;
  /** Rolled back because the change hurt another backend service. */
  collateral: number;
  escalated: number;
  observed: number;
}

/** The stats, and what promotion needs besides: the streak and the mode of its latest run. */
export interface PolicyRecord extends PolicyStats {
  /** Applied runs verified HEALTHY since the last one rolled back (or that hurt another service). */
  streak: number;
  /** The mode the policy's latest run was decided under: a different one now is a change of mode. */
  lastMode?: Mode;
}

export type PolicyRecords = Record<string, PolicyRecord>;

/** A mode and why, as plans and `status` show it. */
export interface ModeVerdict {
  mode: Mode;
  why: string;
}

/** The plan's mode: the strictest of its policies', and each one's. */
export interface PlanAutonomy extends ModeVerdict {
  policies: Record<string, ModeVerdict>;
  /** Policies whose mode differs from their latest run's (promoted or demoted): notified, recorded. */
  changes?: string[];
}

const ROLLED_BACK = ['ROLLED_BACK', 'ROLLBACK_FAILED'];
const ESCALATED = ['ESCALATED', 'APPROVAL_TIMEOUT'];
const isApplied = (outcome: string) => (APPLIED_OUTCOMES as readonly string[]).includes(outcome);

/** A policy's record before any run. */
export const emptyRecord = (): PolicyRecord => ({
  runs: 0,
  applied: 0,
  verified: 0,
  rolledBack: 0,
  collateral: 0,
  escalated: 0,
  observed: 0,
  streak: 0,
});

/**
 * Folds closed runs into each policy's record, oldest first. A run counts for every policy that
 * governed a change or escalated a cause in it. The streak grows with each applied run verified
 * HEALTHY and starts again at 0 with one rolled back or that hurt another backend service.
 */
export function foldRecords(runs: RunSummary[]): PolicyRecords {
  const out: PolicyRecords = {};
  const sorted = [...runs].sort((a, b) => Date.parse(a.closedAt) - Date.parse(b.closedAt));
  for (const run of sorted) {
    const { autonomy: m, outcome } = run;
    for (const name of new Set([...m.policies, ...m.escalations])) {
      const r = (out[name] ??= emptyRecord());
      r.runs += 1;
      const governed = m.policies.includes(name);
      if (m.modes[name]) r.lastMode = m.modes[name];
      if (outcome === 'OBSERVED') r.observed += 1;
      if (ESCALATED.includes(outcome) || m.escalations.includes(name)) r.escalated += 1;
      if (!governed || !isApplied(outcome)) continue;
      r.applied += 1;
      if (outcome === 'REMEDIATED' && !m.collateral) {
        r.verified += 1;
        r.streak += 1;
      }
      if (ROLLED_BACK.includes(outcome)) r.rolledBack += 1;
      if (m.collateral) r.collateral += 1;
      if (ROLLED_BACK.includes(outcome) || m.collateral) r.streak = 0;
    }
  }
  return out;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** Whether `record` meets `promote`, and the words the plan shows either way. */
export function promotion(
  promote: Promote,
  record: PolicyRecord | undefined,
): { earned: boolean; text: string } {
  const r = record ?? emptyRecord();
  const rate = r.applied === 0 ? 0 : r.rolledBack / r.applied;
  const ratio = `${r.streak}/${r.streak} verified since the last rollback`;
  if (r.streak >= promote.after && rate <= promote.maxRollbackRate)
    return { earned: true, text: `earned, ${ratio}, rollback rate ${pct(rate)}` };
  const why =
    r.streak < promote.after
      ? `${r.streak}/${promote.after} verified since the last rollback`
      : `rollback rate ${pct(rate)} above ${pct(promote.maxRollbackRate)} (${r.rolledBack}/${r.applied})`;
  return { earned: false, text: `not earned yet: ${why}` };
}

/** What the mode of a policy depends on. */
export interface ModedPolicy {
  name: string;
  approval: { mode: Mode; promote?: Promote | undefined };
}

/** One policy's mode, and why: what it says, or earned automatic mode. */
export function policyMode(p: ModedPolicy, records: PolicyRecords | undefined): ModeVerdict {
  const { mode, promote } = p.approval;
  if (mode !== 'suggest' || !promote) return { mode, why: `${mode}: policy ${p.name}` };
  // Without a record (none read, or visibility unavailable) nothing is earned.
  const verdict = promotion(promote, records?.[p.name]);
  return verdict.earned
    ? { mode: 'auto', why: `auto: ${verdict.text} (policy ${p.name} promotes after ${promote.after})` }
    : { mode: 'suggest', why: `suggest: policy ${p.name}, ${verdict.text}` };
}

const RANK: Record<Mode, number> = { auto: 0, suggest: 1, observe: 2 };

/**
 * The strictest verdict; among equals an earned one (the reason worth saying), and policies that
 * simply say the same mode are named together.
 */
function strictestOf(each: Record<string, ModeVerdict>): ModeVerdict {
  const entries = Object.entries(each);
  if (entries.length === 0) return { mode: 'auto', why: 'auto: no policy governs a change' };
  const rank = Math.max(...entries.map(([, v]) => RANK[v.mode]));
  const top = entries.filter(([, v]) => RANK[v.mode] === rank);
  const mode = top[0]![1].mode;
  const plain = top.filter(([name, v]) => v.why === `${mode}: policy ${name}`);
  if (plain.length === top.length && top.length > 1)
    return {
      mode,
      why: `${mode}: policies ${top
        .map(([name]) => name)
        .sort()
        .join(', ')}`,
    };
  return (top.find(([, v]) => v.why.startsWith('auto: earned')) ??
    top.find(([n, v]) => v.why !== `${mode}: policy ${n}`) ??
    top[0]!)[1];
}

/** The strictest of the policies' modes (observe, then suggest, then auto) and the changes of mode. */
export function planAutonomy(policies: ModedPolicy[], records: PolicyRecords | undefined): PlanAutonomy {
  const each = Object.fromEntries(policies.map((p) => [p.name, policyMode(p, records)]));
  const strictest = strictestOf(each);
  const changes = Object.entries(each).flatMap(([name, v]) => {
    const last = records?.[name]?.lastMode;
    if (!last || last === v.mode) return [];
    const verb = RANK[v.mode] < RANK[last] ? 'promoted' : 'demoted';
    return [`policy ${name} ${verb} from ${last} to ${v.mode}: ${v.why}`];
  });
  return { ...strictest, policies: each, ...(changes.length > 0 ? { changes } : {}) };
}

/** The plan's mode once something asks for a person (an alert, the fleet breaker, maxImpact). */
export function floorAt(a: PlanAutonomy, why: string): PlanAutonomy {
  return a.mode === 'auto' ? { ...a, mode: 'suggest', why: `suggest: ${why}` } : a;
}

/** What a closed run leaves in its memo for the record, from its plan. */
export function autonomyMemo(
  plan: { policies: string[]; escalations: { policy?: string }[]; autonomy?: PlanAutonomy },
  collateral: boolean,
): AutonomyMemo | undefined {
  const a = plan.autonomy;
  if (!a) return undefined;
  return {
    policies: plan.policies,
    escalations: [...new Set(plan.escalations.flatMap((e) => (e.policy ? [e.policy] : [])))].sort(),
    mode: a.mode,
    modes: Object.fromEntries(Object.entries(a.policies).map(([name, v]) => [name, v.mode])),
    why: a.why,
    collateral,
  };
}
