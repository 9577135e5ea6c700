/**
 * Root cause 1: the health check probes a port or path the app does not serve. Proven by comparing
 * the health check with what the in-VPC probe saw the app answer 200 on; fixed by patching the
 * health check's port and/or path.
 *
 * A health check other backend services also use is not patched where it is (they would start
 * probing the new port too): by default lbmedic creates a dedicated copy with the fix for this backend
 * service and points the service at it; rollback points it back and deletes the copy. A policy can
 * escalate instead, or patch the shared check and leave the reach to `maxImpact`.
 */
import { z } from 'zod';
import type { HealthCheckFacts, ProbeResult } from '../evidence';
import { backendServiceKey, healthCheckUsers } from '../impact';
import type { HealthCheckDetails } from '../mutation';
import { isLbmedicOwned, LBMEDIC_MARK, resourceName, shortHash } from '../ownership';
import type { Detection, FieldChange, FindingOf, PlanContext, Proposal, ProposedStep } from './cause';
import { defineCause, FromDiagnosis, fromDiagnosis, Port, remedy, RequestPath } from './cause';
import type { Facts } from './facts';

const ID = 'HEALTH_CHECK_MISMATCH';

export const HealthCheckFix = z.object({
  cause: z.literal(ID),
  healthCheck: z.string(),
  /** Set when the port is wrong: the port the app serves. */
  port: z.number().optional(),
  /** Set when the path is wrong: the path the app answers 200 on. */
  requestPath: z.string().optional(),
});
export type HealthCheckFix = z.infer<typeof HealthCheckFix>;
type HealthCheckFinding = FindingOf<typeof ID, HealthCheckFix>;

/** Policy action: point the health check at the port and path the app serves. */
export const PatchHealthCheck = z.strictObject({
  type: z.literal('patchHealthCheck'),
  port: z.union([FromDiagnosis, Port]).default('fromDiagnosis'),
  requestPath: z.union([FromDiagnosis, RequestPath]).default('fromDiagnosis'),
  /**
   * The health check is shared with other backend services: `copy` the fix into a dedicated check for
   * this one; `escalate`; or `patch` the shared check (its reach is then up to `maxImpact`).
   */
  whenShared: z.enum(['copy', 'escalate', 'patch']).default('copy'),
});
export type PatchHealthCheck = z.infer<typeof PatchHealthCheck>;

function describeProbe(results: ProbeResult[], port: number, path: string): string {
  const rs = results.filter((r) => r.port === port && r.path === path);
  if (rs.length === 0) return `not probed on :${port}${path}`;
  const outcomes = [
    ...new Set(rs.map((r) => (r.status !== undefined ? `HTTP ${r.status}` : (r.error ?? 'no answer')))),
  ];
  return `:${port}${path} → ${outcomes.join(', ')} (${rs.length} instance${rs.length === 1 ? '' : 's'})`;
}

function detect(facts: Facts): Detection<HealthCheckFinding> {
  const { healthCheck: hc, healthCheckPort: hcPort, healthCheckPath: hcPath, serving, probe } = facts;
  if (!facts.chaseHealth || !hc || !serving || hcPort === undefined) return { findings: [] };
  // A health check that follows the serving or named port is moved by the named-port fix instead.
  const fixedPort = hc.portSpecification !== 'USE_SERVING_PORT' && hc.portSpecification !== 'USE_NAMED_PORT';
  const portWrong = fixedPort && hcPort !== serving.port;
  // Wrong for every instance that serves, or for some of them (a partly unhealthy backend service,
  // which the health watch finds before the load balancer answers 5xx): an instance that answers 200
  // on the serving endpoint but not on the health check's path fails its probes.
  const answers = (path: string) =>
    new Set(
      (probe ?? [])
        .filter((r) => r.port === serving.port && r.path === path && r.status === 200)
        .map((r) => r.instance),
    );
  const onHcPath = answers(hcPath);
  const pathWrong = [...answers(serving.path)].some((i) => !onHcPath.has(i));
  if (!portWrong && !pathWrong) return { findings: [] };
  return {
    findings: [
      {
        cause: ID,
        summary: `health check ${hc.name} probes :${hcPort}${hcPath} but the app answers 200 on :${serving.port}${serving.path}`,
        evidence: [
          `healthChecks.get ${hc.name}: type ${hc.type}, port ${hc.port ?? '-'}, portSpecification ${
            hc.portSpecification ?? 'unset'
          }, requestPath ${hcPath}`,
          `in-VPC probe ${describeProbe(probe ?? [], hcPort, hcPath)}`,
          `in-VPC probe :${serving.port}${serving.path} → HTTP 200 (${serving.instances} instance${
            serving.instances === 1 ? '' : 's'
          })`,
        ],
        fix: {
          cause: ID,
          healthCheck: hc.name,
          ...(portWrong ? { port: serving.port } : {}),
          ...(pathWrong ? { requestPath: serving.path } : {}),
        },
      },
    ],
  };
}

/** The check's port, path and port specification once the policy's values are in. */
function fixedValues(hc: HealthCheckFacts, f: HealthCheckFinding, action: PatchHealthCheck) {
  const port = fromDiagnosis(action.port, f.fix.port) ?? hc.port;
  const requestPath = fromDiagnosis(action.requestPath, f.fix.requestPath) ?? hc.requestPath;
  // A port only counts when the check uses it: moving it means fixing the port specification too.
  const fixedSpec = port !== hc.port && hc.portSpecification && hc.portSpecification !== 'USE_FIXED_PORT';
  const key = `${hc.type.toLowerCase()}HealthCheck`;
  const changes: FieldChange[] = [];
  if (port !== hc.port)
    changes.push({ field: `${key}.port`, before: String(hc.port ?? '-'), after: String(port) });
  if (fixedSpec)
    changes.push({
      field: `${key}.portSpecification`,
      before: hc.portSpecification ?? '-',
      after: 'USE_FIXED_PORT',
    });
  if (requestPath !== hc.requestPath)
    changes.push({ field: `${key}.requestPath`, before: hc.requestPath ?? '-', after: requestPath ?? '/' });
  return { port, requestPath, fixedSpec: Boolean(fixedSpec), changes };
}

/** Patches the check where it is; the inverse puts its old port, path and specification back. */
function patchStep(hc: HealthCheckFacts, v: ReturnType<typeof fixedValues>): ProposedStep {
  return {
    id: `healthCheck/${hc.name}`,
    resource: { kind: 'healthCheck', name: hc.name, ...(hc.region ? { region: hc.region } : {}) },
    changes: v.changes,
    apply: {
      kind: 'patchHealthCheck',
      healthCheck: hc.name,
      ...(hc.region ? { region: hc.region } : {}),
      type: hc.type,
      ...(v.port !== undefined ? { port: v.port } : {}),
      ...(v.requestPath !== undefined ? { requestPath: v.requestPath } : {}),
      ...(v.fixedSpec ? { portSpecification: 'USE_FIXED_PORT' } : {}),
    },
    inverse: {
      kind: 'patchHealthCheck',
      healthCheck: hc.name,
      ...(hc.region ? { region: hc.region } : {}),
      type: hc.type,
      ...(hc.port !== undefined ? { port: hc.port } : {}),
      ...(hc.requestPath !== undefined ? { requestPath: hc.requestPath } : {}),
      ...(v.fixedSpec && hc.portSpecification ? { portSpecification: hc.portSpecification } : {}),
    },
  };
}

/** The deterministic name of lbmedic's dedicated check for `backendService`. */
export function dedicatedCheckName(backendService: string): string {
  const name = `lbmedic-hc-${backendService}`;
  return name.length <= 63 ? name : resourceName(['lbmedic-hc', backendService], shortHash(backendService));
}

/** A dedicated copy of `hc` with the fix, and the switch of the backend service to it. */
function copySteps(
  hc: HealthCheckFacts,
  v: ReturnType<typeof fixedValues>,
  backendService: string,
  sharedWith: string[],
): ProposedStep[] {
  const copy = dedicatedCheckName(backendService);
  const details: HealthCheckDetails = {
    ...(v.port !== undefined ? { port: v.port } : {}),
    ...(hc.portName ? { portName: hc.portName } : {}),
    ...(v.fixedSpec
      ? { portSpecification: 'USE_FIXED_PORT' }
      : hc.portSpecification
        ? { portSpecification: hc.portSpecification }
        : {}),
    ...(v.requestPath !== undefined ? { requestPath: v.requestPath } : {}),
    ...(hc.host ? { host: hc.host } : {}),
    ...(hc.response ? { response: hc.response } : {}),
    ...(hc.proxyHeader ? { proxyHeader: hc.proxyHeader } : {}),
  };
  const shared = sharedWith.length > 0 ? sharedWith.join(', ') : 'other backend services (not read)';
  return [
    {
      id: `healthCheck/${copy}`,
      resource: { kind: 'healthCheck', name: copy },
      changes: [
        { field: '(new health check)', before: '-', after: `a copy of ${hc.name} for ${backendService}` },
        ...v.changes.map((c) => ({ ...c, field: `${c.field} (copy)` })),
      ],
      apply: {
        kind: 'insertHealthCheck',
        healthCheck: copy,
        type: hc.type,
        checkIntervalSec: hc.checkIntervalSec,
        timeoutSec: hc.timeoutSec,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
        details,
        description:
          `${LBMEDIC_MARK} dedicated copy of health check ${hc.name} for backend service ${backendService}; ${hc.name} is shared with ${shared}`.slice(
            0,
            2048,
          ),
      },
      inverse: { kind: 'deleteHealthCheck', healthCheck: copy },
    },
    {
      id: `backendService/${backendService}/healthCheck`,
      resource: { kind: 'backendService', name: backendService },
      changes: [{ field: 'healthChecks', before: hc.name, after: copy }],
      apply: { kind: 'setBackendServiceHealthCheck', backendService, healthCheck: copy },
      inverse: { kind: 'setBackendServiceHealthCheck', backendService, healthCheck: hc.name },
    },
  ];
}

function planPatch(f: HealthCheckFinding, action: PatchHealthCheck, { evidence }: PlanContext): Proposal {
  const hc = evidence.healthCheck.ok ? evidence.healthCheck.value : null;
  if (!hc) return { escalate: 'the health check could not be read at planning time' };
  const v = fixedValues(hc, f, action);
  if (v.changes.length === 0) return { note: `health check ${hc.name} already probes what the policy asks` };
  const target = evidence.backendService;
  const { topology } = evidence;
  const self = backendServiceKey({
    name: target,
    region: evidence.backend.ok ? evidence.backend.value.region : undefined,
  });
  const sharedWith = topology.ok
    ? healthCheckUsers(topology.value, hc.name, hc.region).filter((b) => b !== self)
    : [];
  // Without the topology, only lbmedic's own copy for this backend service is known to be its alone.
  const ownCopy =
    isLbmedicOwned({ name: hc.name, description: hc.description ?? '' }) &&
    hc.name === dedicatedCheckName(target);
  const shared = topology.ok ? sharedWith.length > 0 : !ownCopy;
  if (!shared || action.whenShared === 'patch') return { steps: [patchStep(hc, v)] };
  if (action.whenShared === 'escalate') {
    const who = topology.ok ? `with ${sharedWith.join(', ')}` : '(its users could not be read)';
    return {
      escalate: `health check ${hc.name} is shared ${who}; the policy escalates shared health checks`,
    };
  }
  // lbmedic's copies are global health checks (insertHealthCheck), which a regional backend service
  // cannot use: a regional shared check is a person's change.
  if (hc.region) {
    const who = topology.ok ? `with ${sharedWith.join(', ')}` : '(its users could not be read)';
    return {
      escalate: `health check ${hc.name} (region ${hc.region}) is shared ${who}; lbmedic copies global health checks only: fix it by hand, knowing what it reaches, or let the policy patch it in place (whenShared: patch)`,
    };
  }
  return { steps: copySteps(hc, v, target, sharedWith) };
}

export const healthCheckMismatch = defineCause({
  id: ID,
  scenarios: ['hc-wrong-port', 'hc-wrong-path', 'port-moved', 'ilb-wrong-path', 'https-wrong-path'],
  fix: HealthCheckFix,
  detect,
  humanFix: () => 'point the health check at the port and path the app serves',
  remedies: [remedy(PatchHealthCheck, planPatch)],
});
