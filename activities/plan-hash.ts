/**
 * The plan hash: what an approval names, so it approves the exact change and nothing else. It covers
 * the project and backend service and, for every step in order, the resource, each field's before →
 * after and the exact calls that apply and undo it; not the words around them (policy names, notes,
 * limits), which change nothing in GCP. Keys are sorted, so the same plan read back from history
 * (plain JSON) hashes the same.
 */
import { createHash } from 'node:crypto';
import type { Plan } from '../core/plan';

/** JSON with object keys sorted and undefined members left out, recursively. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What the hash covers: the exact before → after of every step. */
export function planSubject(plan: Pick<Plan, 'project' | 'backendService' | 'steps'>) {
  return {
    project: plan.project,
    backendService: plan.backendService,
    steps: plan.steps.map((s) => ({
      id: s.id,
      resource: s.resource,
      changes: s.changes,
      apply: s.apply,
      inverse: s.inverse,
    })),
  };
}

/** `sha256:` and the hex SHA-256 of the plan's canonical before → after. */
export function planHash(plan: Pick<Plan, 'project' | 'backendService' | 'steps'>): string {
  return `sha256:${createHash('sha256')
    .update(canonicalJson(planSubject(plan)))
    .digest('hex')}`;
}
