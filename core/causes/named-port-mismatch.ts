/**
 * Root cause 3: the backend service's named port maps to a port the app does not serve. Proven by
 * comparing the instance groups' named ports with the port the in-VPC probe saw answer; fixed by
 * `instanceGroups.setNamedPorts` on every backend group, keeping the groups' other named ports.
 */
import { z } from 'zod';
import type { NamedPort } from '../mutation';
import type { Detection, FindingOf, PlanContext, Proposal, ProposedStep } from './cause';
import { defineCause, FromDiagnosis, fromDiagnosis, Port, remedy } from './cause';
import type { Facts } from './facts';

const ID = 'NAMED_PORT_MISMATCH';

export const NamedPortFix = z.object({
  cause: z.literal(ID),
  portName: z.string(),
  /** The port the app serves. */
  port: z.number(),
  groups: z.array(z.object({ name: z.string(), zone: z.string() })),
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

function detect(facts: Facts): Detection<NamedPortFinding> {
  const { backend: bs, groups, serving, namedPort } = facts;
  if (!facts.chaseHealth || !groups || !serving || namedPort === serving.port) return { findings: [] };
  return {
    findings: [
      {
        cause: ID,
        summary: `named port ${bs.portName} is ${namedPort ?? 'missing'} but the app serves ${serving.port}`,
        evidence: [
          `backendServices.get ${bs.name}: portName ${bs.portName}`,
          ...groups.map((g) => `instanceGroups.get ${g.name}: namedPorts ${namedPortsText(g.namedPorts)}`),
          `in-VPC probe :${serving.port}${serving.path} → HTTP 200`,
        ],
        fix: {
          cause: ID,
          portName: bs.portName,
          port: serving.port,
          groups: groups.map((g) => ({ name: g.name, zone: g.zone })),
        },
      },
    ],
  };
}

function groupStep(
  group: string,
  zone: string,
  current: NamedPort[],
  portName: string,
  port: number,
): ProposedStep {
  const next = current.some((p) => p.name === portName)
    ? current.map((p) => (p.name === portName ? { ...p, port } : p))
    : [...current, { name: portName, port }];
  return {
    id: `instanceGroup/${zone}/${group}`,
    resource: { kind: 'instanceGroup', name: group, zone },
    changes: [{ field: 'namedPorts', before: namedPortsText(current), after: namedPortsText(next) }],
    apply: { kind: 'setNamedPorts', instanceGroup: group, zone, namedPorts: next },
    inverse: { kind: 'setNamedPorts', instanceGroup: group, zone, namedPorts: current },
  };
}

/** One step per backend instance group the finding names, from the groups as they are now. */
function planSetNamedPort(f: NamedPortFinding, action: SetNamedPort, { evidence }: PlanContext): Proposal {
  const port = fromDiagnosis(action.port, f.fix.port);
  const groups = evidence.instanceGroups.ok ? evidence.instanceGroups.value : [];
  const named = groups.filter((g) => f.fix.groups.some((x) => x.name === g.name && x.zone === g.zone));
  return {
    steps:
      port === undefined
        ? []
        : named.map((g) => groupStep(g.name, g.zone, g.namedPorts, f.fix.portName, port)),
  };
}

export const namedPortMismatch = defineCause({
  id: ID,
  scenarios: ['named-port-mismatch', 'port-moved'],
  fix: NamedPortFix,
  detect,
  humanFix: (fix) => `set named port ${fix.portName} to ${fix.port} on the backend instance groups`,
  remedies: [remedy(SetNamedPort, planSetNamedPort)],
});
