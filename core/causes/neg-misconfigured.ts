/**
 * Root cause 6: a network endpoint group backend has no endpoints (a serverless NEG naming a service
 * that does not exist, a GKE NEG out of sync, a NEG that is gone). Proven by
 * `networkEndpointGroups.list` sizes; the load balancer's logs back it with `failed_to_pick_backend`
 * or, for a serverless NEG whose service cannot be found, `serverless_neg_routing_failed`
 * (https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring). A serverless NEG
 * always has size 0, so for one only `serverless_neg_routing_failed` proves it: a healthy one is no
 * finding. Recreating or
 * repointing a NEG is a human decision, so this cause has no remedy but escalation.
 */
import { z } from 'zod';
import type { Detection, FindingOf } from './cause';
import { defineCause } from './cause';
import { type Facts, logCount, NO_HEALTHY } from './facts';

const ID = 'NEG_MISCONFIGURED';
/** The LB's statusDetails when a serverless NEG's request cannot be dispatched (its service is not found). */
const SERVERLESS_ROUTING_FAILED = 'serverless_neg_routing_failed';

export const NegFix = z.object({
  cause: z.literal(ID),
  negs: z.array(
    z.object({ name: z.string(), type: z.string(), size: z.number(), target: z.string().optional() }),
  ),
});
export type NegFix = z.infer<typeof NegFix>;
type NegFinding = FindingOf<typeof ID, NegFix>;

function detect({ backend, evidence, logs }: Facts): Detection<NegFinding> {
  const negBackends = backend.backends.filter((b) => b.kind === 'neg');
  if (negBackends.length === 0) return { findings: [] };
  if (!evidence.negs.ok) return { findings: [], notes: ['network endpoint groups could not be read'] };
  const negs = evidence.negs.value;
  const names = new Set(negBackends.map((b) => b.name));
  // Every serverless NEG has size 0 on GCP (gcp-facts §4): only the LB failing to route to its
  // service says it is wrong.
  const routingFailed = logCount(logs, SERVERLESS_ROUTING_FAILED) > 0;
  const empty = negs.filter(
    (n) => names.has(n.name) && n.size === 0 && (n.type !== 'SERVERLESS' || routingFailed),
  );
  const missing = negBackends.filter((b) => !negs.some((n) => n.name === b.name));
  if (empty.length === 0 && missing.length === 0) return { findings: [] };
  const logged = [NO_HEALTHY, SERVERLESS_ROUTING_FAILED]
    .map((details) => ({ details, count: logCount(logs, details) }))
    .filter((l) => l.count > 0);
  return {
    findings: [
      {
        cause: ID,
        summary: `${empty.length + missing.length} NEG backend(s) have no endpoints to route to`,
        evidence: [
          ...empty.map(
            (n) =>
              `networkEndpointGroups: ${n.name} ${n.type} size ${n.size}${n.cloudRunService ? ` → Cloud Run ${n.cloudRunService}` : ''}`,
          ),
          ...missing.map((b) => `networkEndpointGroups: ${b.name} is a backend but does not exist`),
          ...logged.map((l) => `LB logs: ${l.count} × ${l.details}`),
        ],
        fix: {
          cause: ID,
          negs: [
            ...empty.map((n) => ({
              name: n.name,
              type: n.type,
              size: n.size,
              ...(n.cloudRunService ? { target: n.cloudRunService } : {}),
            })),
            ...missing.map((b) => ({ name: b.name, type: 'MISSING', size: 0 })),
          ],
        },
      },
    ],
  };
}

export const negMisconfigured = defineCause({
  id: ID,
  scenarios: ['neg-empty'],
  fix: NegFix,
  detect,
  humanFix: (fix) =>
    `repoint or recreate ${fix.negs.map((n) => n.name).join(', ')} so it has endpoints (check the Cloud Run service and region)`,
  remedies: [],
});
