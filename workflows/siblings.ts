/**
 * Verification covers the impact: every other backend service the unit of change reaches (the
 * steps' impact, core/impact.ts) is read before the change and watched after it; one that ends up
 * with fewer HEALTHY backends than before is collateral damage, and the whole unit rolls back, naming
 * it. The watch itself is activities/siblings.ts.
 */
import { backendServiceKey } from '../core/impact';
import type { PlanStep } from '../core/plan';
import type { RunRecord } from './record';
import { reads, watch } from './stubs';

/** Reads, before the change, how healthy the backend services `steps` reach are (each once per run). */
export async function recordSiblings(rec: RunRecord, steps: PlanStep[]): Promise<void> {
  const { s } = rec;
  // Impact names backend services by key (`region/name` for a regional one): a global namesake of a
  // regional target is another backend service.
  const self = backendServiceKey({ name: s.input.backendService, region: s.input.region });
  const reached = [...new Set(steps.flatMap((x) => x.impact.backendServices))].filter(
    (b) => b !== self && !s.siblings.some((x) => x.backendService === b),
  );
  if (reached.length === 0) return;
  const health = await reads.siblingHealth({ project: s.input.project, backendServices: reached });
  s.siblings.push(...health);
  rec.note(
    `also reached, before the change: ${health.map((h) => `${h.backendService} ${h.healthy}/${h.total} HEALTHY`).join(', ')}`,
  );
}

/**
 * Watches the reached backend services from `changedAt`; the collateral in words (`api-bs 1/1 → 0/1
 * HEALTHY`), or undefined when every one is at least as healthy as before.
 */
export async function collateralDamage(rec: RunRecord, changedAt: string): Promise<string | undefined> {
  const { s } = rec;
  if (s.siblings.length === 0) return undefined;
  const r = await watch.watchSiblings.executeWithOptions(
    { summary: `watch ${s.siblings.map((x) => x.backendService).join(', ')}: at least as healthy as before` },
    [{ project: s.input.project, before: s.siblings, changedAt }],
  );
  if (r.worse.length === 0) {
    rec.note(
      `also reached, after the change: ${s.siblings.map((x) => x.backendService).join(', ')} at least as healthy as before (${r.polls} getHealth poll(s))`,
    );
    return undefined;
  }
  const hurt = r.worse
    .map(
      (w) =>
        `${w.backendService} ${w.before.healthy}/${w.before.total} → ${w.after.healthy}/${w.after.total} HEALTHY`,
    )
    .join(', ');
  return `the change made another backend service less healthy: ${hurt}`;
}
