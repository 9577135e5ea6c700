/**
 * Root cause 1: the health check probes a port or path the app does not serve. Proven by comparing
 * the health check with what the in-VPC probe saw the app answer 200 on; fixed by patching the
 * health check's port and/or path.
 */
import { z } from 'zod';
import type { ProbeResult } from '../evidence';
import type { Detection, FieldChange, FindingOf, PlanContext, Proposal } from './cause';
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
  const pathWrong = !probe?.some((r) => r.port === serving.port && r.path === hcPath && r.status === 200);
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

function planPatch(f: HealthCheckFinding, action: PatchHealthCheck, { evidence }: PlanContext): Proposal {
  const hc = evidence.healthCheck.ok ? evidence.healthCheck.value : null;
  if (!hc) return { escalate: 'the health check could not be read at planning time' };
  const port = fromDiagnosis(action.port, f.fix.port) ?? hc.port;
  const requestPath = fromDiagnosis(action.requestPath, f.fix.requestPath) ?? hc.requestPath;
  const changes: FieldChange[] = [];
  const key = `${hc.type.toLowerCase()}HealthCheck`;
  if (port !== hc.port)
    changes.push({ field: `${key}.port`, before: String(hc.port ?? '-'), after: String(port) });
  // A port only counts when the check uses it: moving it means fixing the port specification too.
  const fixedSpec = port !== hc.port && hc.portSpecification && hc.portSpecification !== 'USE_FIXED_PORT';
  if (fixedSpec)
    changes.push({
      field: `${key}.portSpecification`,
      before: hc.portSpecification ?? '-',
      after: 'USE_FIXED_PORT',
    });
  if (requestPath !== hc.requestPath)
    changes.push({ field: `${key}.requestPath`, before: hc.requestPath ?? '-', after: requestPath ?? '/' });
  if (changes.length === 0) return { note: `health check ${hc.name} already probes what the policy asks` };
  return {
    steps: [
      {
        id: `healthCheck/${hc.name}`,
        resource: { kind: 'healthCheck', name: hc.name, ...(hc.region ? { region: hc.region } : {}) },
        changes,
        apply: {
          kind: 'patchHealthCheck',
          healthCheck: hc.name,
          ...(hc.region ? { region: hc.region } : {}),
          type: hc.type,
          ...(port !== undefined ? { port } : {}),
          ...(requestPath !== undefined ? { requestPath } : {}),
          ...(fixedSpec ? { portSpecification: 'USE_FIXED_PORT' } : {}),
        },
        inverse: {
          kind: 'patchHealthCheck',
          healthCheck: hc.name,
          ...(hc.region ? { region: hc.region } : {}),
          type: hc.type,
          ...(hc.port !== undefined ? { port: hc.port } : {}),
          ...(hc.requestPath !== undefined ? { requestPath: hc.requestPath } : {}),
          ...(fixedSpec && hc.portSpecification ? { portSpecification: hc.portSpecification } : {}),
        },
      },
    ],
  };
}

export const healthCheckMismatch = defineCause({
  id: ID,
  scenarios: ['hc-wrong-port', 'hc-wrong-path', 'port-moved'],
  fix: HealthCheckFix,
  detect,
  humanFix: () => 'point the health check at the port and path the app serves',
  remedies: [remedy(PatchHealthCheck, planPatch)],
});
