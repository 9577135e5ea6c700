/**
 * The classifier: evidence in, diagnosis out. Pure and deterministic (used inside workflows).
 *
 * It follows the field guide's diagnostic workflow: statusDetails say whether to chase health
 * (failed_to_pick_backend) or the backend itself (backend_timeout, connection closed); getHealth
 * confirms; the health check, firewall and named ports are compared with what the in-VPC probe saw
 * the app really serve. Every finding cites the facts that prove it and carries the facts a fix
 * needs. A conclusion that depends on a source that could not be read is not drawn: the diagnosis
 * says what it could not see instead.
 */
import type { Evidence, HealthCheckFacts, InstanceGroupFacts, ProbeResult } from './evidence';
import { EVIDENCE_SOURCES } from './evidence';
import { probeVerdicts } from './firewall';

/** GFE's fixed backend keepalive for external ALBs (gcp-facts §10). */
export const GFE_KEEPALIVE_SEC = 600;

export type RootCause =
  | 'HEALTH_CHECK_MISMATCH'
  | 'FIREWALL_BLOCKS_PROBES'
  | 'NAMED_PORT_MISMATCH'
  | 'BACKEND_TIMEOUT'
  | 'KEEPALIVE_TOO_SHORT'
  | 'NEG_MISCONFIGURED';

export type FixFacts =
  | { cause: 'HEALTH_CHECK_MISMATCH'; healthCheck: string; port?: number; requestPath?: string }
  | {
      cause: 'FIREWALL_BLOCKS_PROBES';
      network: string;
      port: number;
      targetTags: string[];
      blockedRanges: string[];
      /** Deny rules that win over an allow: an inserted allow must have a lower priority number. */
      blockingRules: { name: string; priority: number }[];
    }
  | { cause: 'NAMED_PORT_MISMATCH'; portName: string; port: number; groups: { name: string; zone: string }[] }
  | {
      cause: 'BACKEND_TIMEOUT';
      backendService: string;
      timeoutSec: number;
      /** Slowest backend latency the LB measured, ms (bucket upper bound). */
      observedLatencyMs?: number;
      /**
       * The LB stops waiting at timeoutSec, so latencies at or above it are cut off: the real latency
       * of the slow requests is at least `observedLatencyMs`, not known to be that.
       */
      latencyCensored?: boolean;
    }
  | { cause: 'KEEPALIVE_TOO_SHORT'; requiredKeepaliveSec: number }
  | { cause: 'NEG_MISCONFIGURED'; negs: { name: string; type: string; size: number; target?: string }[] };

export interface Finding {
  cause: RootCause;
  summary: string;
  /** Facts that prove it, as a person would check them. */
  evidence: string[];
  fix: FixFacts;
}

export type Verdict = 'FAULTS_FOUND' | 'NO_FAULT' | 'UNKNOWN';

export interface Diagnosis {
  project: string;
  backendService: string;
  verdict: Verdict;
  findings: Finding[];
  /** Sources that could not be read, with why. */
  unavailable: { source: string; error: string }[];
  /** Observations that matter but prove no cause (conflicts, limits of the evidence). */
  notes: string[];
  health: { healthy: number; total: number } | undefined;
  /** The port/path the in-VPC probe saw the app answer 200 on, if any. */
  serving: { port: number; path: string } | undefined;
}

const NO_HEALTHY = 'failed_to_pick_backend';
const TIMEOUT = 'backend_timeout';
const CLOSED_EARLY = 'backend_connection_closed_before_data_sent_to_client';

/** Paths the probe tries besides the health check's own. */
export const COMMON_HEALTH_PATHS = ['/', '/healthz', '/health', '/ready', '/readyz'];
/** Ports the probe tries besides the health check's and named ports'. */
export const COMMON_APP_PORTS = [80, 3000, 5000, 8000, 8080, 8081, 8443, 9000, 9090];

/** The port a health check probes, following its portSpecification (gcp-facts §1). */
export function healthCheckPort(
  hc: HealthCheckFacts,
  portName: string,
  groups: Pick<InstanceGroupFacts, 'namedPorts'>[],
): number | undefined {
  const named = (name: string | undefined) =>
    name === undefined ? undefined : groups.flatMap((g) => g.namedPorts).find((p) => p.name === name)?.port;
  switch (hc.portSpecification) {
    case 'USE_SERVING_PORT':
      return named(portName);
    case 'USE_NAMED_PORT':
      return named(hc.portName);
    case 'USE_FIXED_PORT':
      return hc.port;
    default:
      return hc.port ?? named(hc.portName);
  }
}

/** The (port, path) most instances answered 200 on, preferring the configured port and path on ties. */
function servingEndpoint(
  results: ProbeResult[],
  preferPort: number | undefined,
  preferPath: string | undefined,
): { port: number; path: string; instances: number } | undefined {
  const ok = new Map<string, Set<string>>();
  for (const r of results) {
    if (r.status !== 200) continue;
    const key = `${r.port} ${r.path}`;
    ok.set(key, (ok.get(key) ?? new Set()).add(r.instance));
  }
  let best: { port: number; path: string; instances: number; score: number } | undefined;
  for (const [key, instances] of ok) {
    const [portText, path = '/'] = key.split(' ');
    const port = Number(portText);
    // More instances first; then the port the config already uses; then the health check's own path,
    // then a health-looking path over `/` (a fix should keep probing a health endpoint).
    const pathScore = path === preferPath ? 2 : /health|ready/.test(path) ? 1 : 0;
    const score = instances.size * 8 + (port === preferPort ? 4 : 0) + pathScore;
    if (!best || score > best.score || (score === best.score && key < `${best.port} ${best.path}`)) {
      best = { port, path, instances: instances.size, score };
    }
  }
  return best && { port: best.port, path: best.path, instances: best.instances };
}

function describeProbe(results: ProbeResult[], port: number, path: string): string {
  const rs = results.filter((r) => r.port === port && r.path === path);
  if (rs.length === 0) return `not probed on :${port}${path}`;
  const outcomes = [
    ...new Set(rs.map((r) => (r.status !== undefined ? `HTTP ${r.status}` : (r.error ?? 'no answer')))),
  ];
  return `:${port}${path} → ${outcomes.join(', ')} (${rs.length} instance${rs.length === 1 ? '' : 's'})`;
}

export function classify(ev: Evidence): Diagnosis {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const unavailable = EVIDENCE_SOURCES.flatMap((s) => {
    const src = ev[s];
    return src.ok ? [] : [{ source: s, error: src.error }];
  });
  const base = { project: ev.project, backendService: ev.backendService, unavailable };

  if (!ev.backend.ok) {
    return {
      ...base,
      verdict: 'UNKNOWN',
      findings,
      notes: ['the backend service could not be read: nothing can be concluded'],
      health: undefined,
      serving: undefined,
    };
  }
  const bs = ev.backend.value;
  const groupsReadable = ev.instanceGroups.ok;
  const groups = ev.instanceGroups.ok ? ev.instanceGroups.value : [];
  const hc = ev.healthCheck.ok ? ev.healthCheck.value : undefined;
  const logs = ev.logs.ok ? ev.logs.value : undefined;
  const probe = ev.probe.ok ? ev.probe.value : undefined;
  const instances = ev.health.ok ? ev.health.value : undefined;
  const health = instances && {
    healthy: instances.filter((i) => i.healthState === 'HEALTHY').length,
    total: instances.length,
  };
  const count = (detail: string) => logs?.byStatusDetails[detail] ?? 0;
  const fivexx = logs
    ? Object.entries(logs.byStatus).reduce((n, [s, c]) => (Number(s) >= 500 ? n + c : n), 0)
    : 0;

  const namedPort = groups.flatMap((g) => g.namedPorts).find((p) => p.name === bs.portName)?.port;
  const hcPort = hc ? healthCheckPort(hc, bs.portName, groups) : undefined;
  const hcPath = hc?.requestPath ?? '/';
  const serving = probe ? servingEndpoint(probe, hcPort ?? namedPort, hcPath) : undefined;
  const igBackends = bs.backends.filter((b) => b.kind === 'instanceGroup');
  const unhealthy = health ? health.total - health.healthy : 0;
  // Chase health (causes 1–3) when getHealth shows unhealthy backends or, failing that, the logs say
  // no backend could be picked.
  const chaseHealth = igBackends.length > 0 && (health ? unhealthy > 0 : count(NO_HEALTHY) > 0);

  if (chaseHealth) {
    if (health) {
      notes.push(`getHealth: ${health.healthy}/${health.total} HEALTHY`);
    } else notes.push(`getHealth unavailable; logs show ${count(NO_HEALTHY)} ${NO_HEALTHY}`);
    if (!probe) notes.push('the in-VPC probe could not run: which port/path the app serves is unknown');
    else if (!serving) {
      // Every probe timing out says nothing about the app: the instances (or the way to them) are slow.
      const timedOut = probe.filter((r) => r.error === 'timeout').length;
      notes.push(
        probe.length > 0 && timedOut === probe.length
          ? `every in-VPC probe (${timedOut}) timed out: which port/path the app serves is unknown`
          : 'no instance answered 200 on any probed port/path: the app may be down, or serve elsewhere',
      );
    }

    // 1. Health check probing the wrong port or path.
    if (hc && serving && hcPort !== undefined) {
      const fixedPort =
        hc.portSpecification !== 'USE_SERVING_PORT' && hc.portSpecification !== 'USE_NAMED_PORT';
      const portWrong = fixedPort && hcPort !== serving.port;
      const pathWorks = probe?.some((r) => r.port === serving.port && r.path === hcPath && r.status === 200);
      const pathWrong = !pathWorks;
      if (portWrong || pathWrong) {
        findings.push({
          cause: 'HEALTH_CHECK_MISMATCH',
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
            cause: 'HEALTH_CHECK_MISMATCH',
            healthCheck: hc.name,
            ...(portWrong ? { port: serving.port } : {}),
            ...(pathWrong ? { requestPath: serving.path } : {}),
          },
        });
      }
    }

    // 3. Named port pointing somewhere the app does not serve.
    if (groupsReadable && serving && namedPort !== serving.port) {
      findings.push({
        cause: 'NAMED_PORT_MISMATCH',
        summary: `named port ${bs.portName} is ${namedPort ?? 'missing'} but the app serves ${serving.port}`,
        evidence: [
          `backendServices.get ${bs.name}: portName ${bs.portName}`,
          ...groups.map(
            (g) =>
              `instanceGroups.get ${g.name}: namedPorts ${g.namedPorts.map((p) => `${p.name}:${p.port}`).join(', ') || 'none'}`,
          ),
          `in-VPC probe :${serving.port}${serving.path} → HTTP 200`,
        ],
        fix: {
          cause: 'NAMED_PORT_MISMATCH',
          portName: bs.portName,
          port: serving.port,
          groups: groups.map((g) => ({ name: g.name, zone: g.zone })),
        },
      });
    }

    // 2. Firewall not admitting the probe ranges to the port the health check probes (once fixed).
    const fixedHcPort = findings.find((f) => f.fix.cause === 'HEALTH_CHECK_MISMATCH')?.fix;
    const namedFix = findings.find((f) => f.fix.cause === 'NAMED_PORT_MISMATCH')?.fix;
    const followsNamedPort = hc?.portSpecification === 'USE_SERVING_PORT';
    const probedPort =
      (fixedHcPort?.cause === 'HEALTH_CHECK_MISMATCH' ? fixedHcPort.port : undefined) ??
      (followsNamedPort && namedFix?.cause === 'NAMED_PORT_MISMATCH' ? namedFix.port : undefined) ??
      hcPort;
    const allInstances = groups.flatMap((g) => g.instances);
    if (ev.firewallRules.ok && groupsReadable && probedPort !== undefined && allInstances.length > 0) {
      const rules = ev.firewallRules.value;
      const blocked = allInstances
        .map((inst) => ({
          inst,
          verdicts: probeVerdicts(rules, inst, probedPort).filter((v) => !v.verdict.allowed),
        }))
        .filter((x) => x.verdicts.length > 0);
      if (blocked.length > 0) {
        const blockedRanges = [...new Set(blocked.flatMap((b) => b.verdicts.map((v) => v.range)))].sort();
        const blockingNames = new Set(blocked.flatMap((b) => b.verdicts.map((v) => v.verdict.rule)));
        const blockingRules = rules
          .filter((r) => blockingNames.has(r.name))
          .map((r) => ({ name: r.name, priority: r.priority }));
        const tags = [...new Set(blocked.flatMap((b) => b.inst.tags))].sort();
        const network = blocked[0]?.inst.network ?? '';
        findings.push({
          cause: 'FIREWALL_BLOCKS_PROBES',
          summary: `no firewall rule admits ${blockedRanges.join(' and ')} to tcp:${probedPort} on ${blocked.length}/${allInstances.length} instances`,
          evidence: [
            `firewalls.list: ${rules.length} rule${rules.length === 1 ? '' : 's'} on the project`,
            ...blocked.map(
              (b) =>
                `${b.inst.name} (tags ${b.inst.tags.join(',') || 'none'}): ${b.verdicts
                  .map((v) => `${v.range} → ${v.verdict.rule}`)
                  .join('; ')}`,
            ),
          ],
          fix: {
            cause: 'FIREWALL_BLOCKS_PROBES',
            network,
            port: probedPort,
            targetTags: tags,
            blockedRanges,
            blockingRules,
          },
        });
      }
    } else if (!ev.firewallRules.ok) {
      notes.push('firewall rules could not be read: whether probes are admitted is unknown');
    }

    if (findings.length === 0 && serving && hcPort === serving.port) {
      notes.push(
        `conflicting evidence: the app answers 200 on :${serving.port}${serving.path}, the health check and firewall agree, yet ${unhealthy} backend(s) are unhealthy`,
      );
    }
  }

  // 4. Backend timeout.
  if (count(TIMEOUT) > 0) {
    const latency = ev.latency.ok ? ev.latency.value : undefined;
    const observed = latency?.maxMs ?? latency?.p99Ms;
    findings.push({
      cause: 'BACKEND_TIMEOUT',
      summary: `${count(TIMEOUT)} requests hit the ${bs.timeoutSec}s backend timeout${
        observed !== undefined ? `; slowest backend latency ${Math.round(observed)} ms` : ''
      }`,
      evidence: [
        `LB logs (${logs?.windowMinutes ?? '?'} min): ${count(TIMEOUT)} × ${TIMEOUT}`,
        `backendServices.get ${bs.name}: timeoutSec ${bs.timeoutSec}`,
        latency
          ? `backend_latencies: p50 ${fmtMs(latency.p50Ms)}, p99 ${fmtMs(latency.p99Ms)}, max ${fmtMs(latency.maxMs)}`
          : 'backend_latencies unavailable: the latency a new timeout must cover is unknown',
      ],
      fix: {
        cause: 'BACKEND_TIMEOUT',
        backendService: bs.name,
        timeoutSec: bs.timeoutSec,
        ...(observed !== undefined
          ? { observedLatencyMs: observed, latencyCensored: observed >= bs.timeoutSec * 1000 }
          : {}),
      },
    });
  }

  // 5. Backend keepalive shorter than the GFE's.
  if (count(CLOSED_EARLY) > 0) {
    findings.push({
      cause: 'KEEPALIVE_TOO_SHORT',
      summary: `${count(CLOSED_EARLY)} requests failed because the backend closed the connection first`,
      evidence: [
        `LB logs (${logs?.windowMinutes ?? '?'} min): ${count(CLOSED_EARLY)} × ${CLOSED_EARLY}`,
        `the GFE keeps backend connections open ${GFE_KEEPALIVE_SEC}s; the app's keepalive must be longer`,
      ],
      fix: { cause: 'KEEPALIVE_TOO_SHORT', requiredKeepaliveSec: GFE_KEEPALIVE_SEC + 20 },
    });
  }

  // 6. NEG backends that cannot serve.
  const negBackends = bs.backends.filter((b) => b.kind === 'neg');
  if (negBackends.length > 0 && ev.negs.ok) {
    const negs = ev.negs.value;
    const names = new Set(negBackends.map((b) => b.name));
    const empty = negs.filter((n) => names.has(n.name) && n.size === 0);
    const missing = negBackends.filter((b) => !negs.some((n) => n.name === b.name));
    if (empty.length > 0 || missing.length > 0) {
      findings.push({
        cause: 'NEG_MISCONFIGURED',
        summary: `${empty.length + missing.length} NEG backend(s) have no endpoints to route to`,
        evidence: [
          ...empty.map(
            (n) =>
              `networkEndpointGroups: ${n.name} ${n.type} size ${n.size}${n.cloudRunService ? ` → Cloud Run ${n.cloudRunService}` : ''}`,
          ),
          ...missing.map((b) => `networkEndpointGroups: ${b.name} is a backend but does not exist`),
          ...(count(NO_HEALTHY) > 0 ? [`LB logs: ${count(NO_HEALTHY)} × ${NO_HEALTHY}`] : []),
        ],
        fix: {
          cause: 'NEG_MISCONFIGURED',
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
      });
    }
  } else if (negBackends.length > 0) {
    notes.push('network endpoint groups could not be read');
  }

  let verdict: Verdict;
  if (findings.length > 0) verdict = 'FAULTS_FOUND';
  else if (unhealthy > 0 || fivexx > 0) {
    verdict = 'UNKNOWN';
    notes.push(
      `symptoms without a known cause: ${unhealthy} unhealthy backend(s), ${fivexx} 5xx in the logs`,
    );
  } else if (!health && !logs) {
    verdict = 'UNKNOWN';
    notes.push('neither getHealth nor the LB logs could be read: no fault can be ruled out');
  } else verdict = 'NO_FAULT';

  return {
    ...base,
    verdict,
    findings,
    notes,
    health,
    serving: serving && { port: serving.port, path: serving.path },
  };
}

function fmtMs(ms: number | undefined): string {
  return ms === undefined ? '?' : `${Math.round(ms)} ms`;
}
