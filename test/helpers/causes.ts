/**
 * Running one root cause on its own: its detector on fixture evidence, and its remedies on a finding.
 */
import type { AnyFinding } from '../../core/causes/cause';
import { type Facts, gatherFacts } from '../../core/causes/facts';
import type { Evidence } from '../../core/evidence';

/** The shared facts of fixture evidence (whose backend service was read). */
export function factsOf(ev: Evidence): Facts {
  if (!ev.backend.ok) throw new Error('the fixture has no readable backend service');
  return gatherFacts(ev, ev.backend.value);
}

/** `cause`'s findings and notes in `ev`, given the findings of the causes before it. */
export function detectIn<F>(
  cause: { detect(facts: Facts, before: readonly AnyFinding[]): { findings: F[]; notes?: string[] } },
  ev: Evidence,
  before: readonly AnyFinding[] = [],
): { findings: F[]; notes: string[] } {
  const found = cause.detect(factsOf(ev), before);
  return { findings: found.findings, notes: found.notes ?? [] };
}
