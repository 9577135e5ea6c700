/**
 * Root cause 3: the backend service's named port maps to a port the app does not serve. Proven by
 * comparing the instance groups' named ports with the port the in-VPC probe saw answer; fixed by
 * `instanceGroups.setNamedPorts` (`regionInstanceGroups.setNamedPorts` for a regional group) on every
 * backend group, keeping the groups' other named ports.
 *
 * Two ways it shows. A health check that follows the named port fails with it (UNHEALTHY,
 * `failed_to_pick_backend`). A health check on a fixed port passes, so getHealth says HEALTHY, while
 * the load balancer's requests go to the named port and fail with `failed_to_connect_to_backend`
 * (field guide cause 3; docs/simulator.md): then the in-VPC probe of the named port must find nothing
 * serving there (refused, or no 200 on any path), and a timeout proves nothing (the way may be blocked).
 */
import { z } from 'zod';
import type { NamedPort } from '../mutation';
import type { Detection, FindingOf, PlanContext, Proposal, ProposedStep } from './cause';
import { defineCause, FromDiagnosis, fromDiagnosis, Port, remedy } from './cause';
import { type Facts, logCount, NO_CONNECT } from './facts';

const ID = 'NAMED_PORT_MISMATCH';

export const NamedPortFix = z.object({
  cause: z.literal(ID),
  portName: z.string(),
  /** The port the app serves. */
  port: z.number(),
  /** `zone` is '' for a regional group, which names its `region`. */
  groups: z.array(z.object({ name: z.string(), zone: z.string(), region: z.string().optional() })),
});
export type NamedPortFix = z.infer<typeof NamedPortFix>;
type NamedPortFinding = FindingOf<typeof ID, NamedPortFix>;

/** Policy action: set the named port on the backend instance groups. */
export const SetNamedPort = z.strictObject({
  type: z.literal('setNamedPort'),
  port: z.union([FromDiagnosis, Port]).default('fromDiagnosis'),
});
export type SetNamedPort = z.infer<typeof SetNamedPort>;

const namedPortsText = (ps: NamedPort[]) => ps.map((p) => `${p.name}:${p.port}`).join(', ') || 'none';

/** Probe answers on the named port: `dead` when something answered and none was a 200. */
function namedPortProbe(facts: Facts, port: number | undefined): { dead: boolean; text: string } {
  const rs = port === undefined ? [] : (facts.probe ?? []).filter((r) => r.port === port);
  const outcomes = [
    ...new Set(rs.map((r) => (r.status !== undefined ? `HTTP ${r.status}` : (r.error ?? 'no answer')))),
  ].sort();
  const answered = rs.some((r) => r.status !== undefined || r.error === 'ECONNREFUSED');
  return {
    dead: answered && !rs.some((r) => r.status === 200),
    text: `in-VPC probe :${port ?? '-'} → ${outcomes.join(', ') || 'not probed'}`,
  };
}

function detect(facts: Facts): Detection<NamedPortFinding> {
  const { backend: bs, groups, serving, namedPort, health } = facts;
  if (!groups || !serving || namedPort === serving.port) return { findings: [] };
  const failedConnects = logCount(facts.logs, NO_CONNECT);
  const probed = namedPortProbe(facts, namedPort);
  // HEALTHY (a fixed-port check passes) but the LB cannot connect to the named port, where nothing serves.
  const connectFailures =
    !facts.chaseHealth && failedConnects > 0 && (namedPort === undefined || probed.dead);
  if (!facts.chaseHealth && !connectFailures) return { findings: [] };
  return {
    findings: [
      {
        cause: ID,
        summary: `named port ${bs.portName} is ${namedPort ?? 'missing'} but the app serves ${serving.port}`,
        evidence: [
          `backendServices.get ${bs.name}: portName ${bs.portName}`,
          ...groups.map(
            (g) =>
              `${g.region ? 'regionInstanceGroups' : 'instanceGroups'}.get ${g.name}: namedPorts ${namedPortsText(g.namedPorts)}`,
          ),
          ...(connectFailures
            ? [
                `getHealth: ${health?.healthy ?? '?'}/${health?.total ?? '?'} HEALTHY (the health check does not use the named port)`,
                `LB logs: ${failedConnects} × ${NO_CONNECT}`,
                ...(namedPort === undefined ? [] : [probed.text]),
              ]
            : []),
          `in-VPC probe :${serving.port}${serving.path} → HTTP 200`,
        ],
        fix: {
          cause: ID,
          portName: bs.portName,
          port: serving.port,
          groups: groups.map((g) => ({
            name: g.name,
            zone: g.zone,
            ...(g.region ? { region: g.region } : {}),
          })),
        },
      },
    ],
  };
}

function groupStep(
  g: { name: string; zone: string; region?: string },
  current: NamedPort[],
  portName: string,
  port: number,
): ProposedStep {
  const next = current.some((p) => p.name === portName)
    ? current.map((p) => (p.name === portName ? { ...p, port } : p))
    : [...current, { name: portName, port }];
  const where = { zone: g.zone, ...(g.region ? { region: g.region } : {}) };
  return {
    id: `instanceGroup/${g.region ?? g.zone}/${g.name}`,
    resource: {
      kind: 'instanceGroup',
      name: g.name,
      ...(g.region ? { region: g.region } : { zone: g.zone }),
    },
    changes: [{ field: 'namedPorts', before: namedPortsText(current), after: namedPortsText(next) }],
    apply: { kind: 'setNamedPorts', instanceGroup: g.name, ...where, namedPorts: next },
    inverse: { kind: 'setNamedPorts', instanceGroup: g.name, ...where, namedPorts: current },
  };
}

/** One step per backend instance group the finding names, from the groups as they are now. */
function planSetNamedPort(f: NamedPortFinding, action: SetNamedPort, { evidence }: PlanContext): Proposal {
  const port = fromDiagnosis(action.port, f.fix.port);
  const groups = evidence.instanceGroups.ok ? evidence.instanceGroups.value : [];
  const named = groups.filter((g) => f.fix.groups.some((x) => x.name === g.name && x.zone === g.zone));
  return {
    steps: port === undefined ? [] : named.map((g) => groupStep(g, g.namedPorts, f.fix.portName, port)),
  };
}

export const namedPortMismatch = defineCause({
  id: ID,
  scenarios: ['named-port-mismatch', 'named-port-wrong', 'regional-mig', 'port-moved'],
  fix: NamedPortFix,
  detect,
  humanFix: (fix) => `set named port ${fix.portName} to ${fix.port} on the backend instance groups`,
  remedies: [remedy(SetNamedPort, planSetNamedPort)],
});
