/**
 * Root cause 7: the backends live outside Google Cloud and do not answer: a hybrid connectivity NEG
 * (`NON_GCP_PRIVATE_IP_PORT`, on-premises or another cloud, over VPN or Interconnect) whose endpoints
 * fail their health check, or an internet NEG (`INTERNET_FQDN_PORT`, `INTERNET_IP_PORT`; never
 * health-checked) whose origin the load balancer cannot connect to. Proven by getHealth for the
 * hybrid NEG's endpoints and by the LB's statusDetails
 * (https://cloud.google.com/load-balancing/docs/negs/hybrid-neg-concepts,
 * https://cloud.google.com/load-balancing/docs/negs/internet-neg-concepts). Nothing in the project
 * can fix a VPN or a remote origin, so this cause has no remedy but escalation, and nothing changes.
 */
import { z } from 'zod';
import type { Detection, FindingOf } from './cause';
import { defineCause } from './cause';
import { type Facts, logCount, NO_CONNECT, NO_HEALTHY } from './facts';

const ID = 'EXTERNAL_BACKEND_DOWN';
/** NEG types whose endpoints are outside Google Cloud. */
const EXTERNAL_TYPES = new Set(['NON_GCP_PRIVATE_IP_PORT', 'INTERNET_FQDN_PORT', 'INTERNET_IP_PORT']);

export const ExternalBackendFix = z.object({
  cause: z.literal(ID),
  negs: z.array(z.object({ name: z.string(), type: z.string(), endpoints: z.array(z.string()) })),
});
export type ExternalBackendFix = z.infer<typeof ExternalBackendFix>;
type ExternalBackendFinding = FindingOf<typeof ID, ExternalBackendFix>;

function detect({ backend, evidence, logs }: Facts): Detection<ExternalBackendFinding> {
  const names = new Set(backend.backends.filter((b) => b.kind === 'neg').map((b) => b.name));
  if (names.size === 0 || !evidence.negs.ok) return { findings: [] };
  const external = evidence.negs.value.filter((n) => names.has(n.name) && EXTERNAL_TYPES.has(n.type));
  if (external.length === 0) return { findings: [] };
  const health = evidence.health.ok ? evidence.health.value : [];
  const down = external.flatMap((n) => {
    const statuses = health.filter((h) => h.group === n.name);
    const unhealthy = statuses.filter((h) => h.healthState !== 'HEALTHY').length;
    // A hybrid NEG is health-checked: its endpoints say. An internet NEG is not: only the LB's logs can.
    const failing = n.type === 'NON_GCP_PRIVATE_IP_PORT' ? statuses.length > 0 && unhealthy > 0 : true;
    return failing ? [{ neg: n, statuses: statuses.length, unhealthy }] : [];
  });
  const logged = [NO_HEALTHY, NO_CONNECT]
    .map((details) => ({ details, count: logCount(logs, details) }))
    .filter((l) => l.count > 0);
  if (down.length === 0 || logged.length === 0) return { findings: [] };
  const endpoints = (n: (typeof external)[number]) =>
    (n.endpoints ?? []).map((e) => `${e.fqdn ?? e.ipAddress ?? '?'}:${e.port}`);
  return {
    findings: [
      {
        cause: ID,
        summary: `${down.map((d) => d.neg.name).join(', ')}: backends outside Google Cloud do not answer`,
        evidence: [
          ...down.map(
            ({ neg, statuses, unhealthy }) =>
              `networkEndpointGroups: ${neg.name} ${neg.type} → ${endpoints(neg).join(', ') || 'no endpoints'}${
                neg.type === 'NON_GCP_PRIVATE_IP_PORT'
                  ? `; getHealth: ${unhealthy}/${statuses} not HEALTHY`
                  : ' (not health-checked)'
              }`,
          ),
          ...logged.map((l) => `LB logs: ${l.count} × ${l.details}`),
        ],
        fix: {
          cause: ID,
          negs: down.map(({ neg }) => ({ name: neg.name, type: neg.type, endpoints: endpoints(neg) })),
        },
      },
    ],
  };
}

export const externalBackendDown = defineCause({
  id: ID,
  scenarios: ['neg-hybrid', 'neg-internet'],
  fix: ExternalBackendFix,
  detect,
  humanFix: (fix) =>
    fix.negs
      .map((n) =>
        n.type === 'NON_GCP_PRIVATE_IP_PORT'
          ? `restore the path to ${n.name}'s endpoints ${n.endpoints.join(', ')} (VPN or Interconnect, routes, the on-premises firewall and service)`
          : `make the origin ${n.endpoints.join(', ')} of ${n.name} answer (DNS, its service, its firewall)`,
      )
      .join('; ') + ': nothing in the Google Cloud project is wrong to change',
  remedies: [],
});
