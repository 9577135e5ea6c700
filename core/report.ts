/**
 * Renders evidence and a diagnosis as the field guide's tables, for humans (`lbmedic diagnose`).
 */
import type { Diagnosis } from './classify';
import { healthCheckPort } from './causes/facts';
import type { BackendServiceFacts, Evidence, InstanceGroupFacts, LogFacts, Source } from './evidence';
import { PROBE_RANGES } from './firewall';
import { effectiveProbeVerdicts } from './firewall-policy';

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map(
    (r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '),
  );
}

function section<T>(title: string, src: Source<T>, body: (v: T) => string[]): string[] {
  return [title, ...(src.ok ? body(src.value) : [`  could not read: ${src.error}`]), ''];
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '-' : `${Math.round(ms)} ms`;
}

/** What the sections share: the backend service (if read) and its instance groups. */
interface Context {
  ev: Evidence;
  d: Diagnosis;
  bs: BackendServiceFacts | undefined;
  groups: InstanceGroupFacts[];
}

function backendSection({ ev }: Context): string[] {
  return section('Backend service', ev.backend, (b) =>
    table([
      ['protocol', 'portName', 'timeoutSec', 'health check', 'backends'],
      [
        b.protocol,
        b.portName,
        String(b.timeoutSec),
        b.healthCheck ?? '-',
        b.backends.map((x) => `${x.name} (${x.kind})`).join(', '),
      ],
    ]),
  );
}

function healthSection({ ev }: Context): string[] {
  return section('Instances and health (getHealth)', ev.health, (hs) =>
    hs.length === 0
      ? ['  no instance-group backends']
      : table([
          ['INSTANCE', 'GROUP', 'IP', 'PORT', 'HEALTH_STATE'],
          ...hs.map((h) => [h.instance, h.group, h.ipAddress, String(h.port ?? '-'), h.healthState]),
        ]),
  );
}

function healthCheckSection({ ev, bs, groups }: Context): string[] {
  return section('Health check', ev.healthCheck, (hc) => {
    if (!hc) return ['  none (serverless/internet NEG backends have no health check)'];
    const probes = bs ? healthCheckPort(hc, bs.portName, groups) : undefined;
    return table([
      [
        'NAME',
        'TYPE',
        'PORT',
        'PORT_SPEC',
        'PROBES_PORT',
        'PATH',
        'INTERVAL',
        'TIMEOUT',
        'HEALTHY/UNHEALTHY',
      ],
      [
        hc.name,
        hc.type,
        String(hc.port ?? '-'),
        hc.portSpecification ?? '-',
        String(probes ?? '?'),
        hc.requestPath ?? '-',
        `${hc.checkIntervalSec}s`,
        `${hc.timeoutSec}s`,
        `${hc.healthyThreshold}/${hc.unhealthyThreshold}`,
      ],
    ]);
  });
}

function portsSection({ ev, bs }: Context): string[] {
  return section('Ports (named ports vs the app)', ev.instanceGroups, (gs) =>
    table([
      ['GROUP', 'NAMED_PORTS', 'BACKEND portName'],
      ...gs.map((g) => [
        g.name,
        g.namedPorts.map((p) => `${p.name}:${p.port}`).join(', ') || 'none',
        bs?.portName ?? '?',
      ]),
    ]),
  );
}

function probeSection({ ev }: Context): string[] {
  return section('In-VPC probe (HTTP 200 answers)', ev.probe, (rs) => {
    const ok = rs.filter((r) => r.status === 200);
    const listening = [...new Set(rs.filter((r) => r.status !== undefined).map((r) => r.port))].sort(
      (a, b) => a - b,
    );
    return [
      `  ports answering HTTP: ${listening.join(', ') || 'none'}`,
      ...table([
        ['INSTANCE', 'PORT', 'PATHS ANSWERING 200'],
        ...[...new Set(ok.map((r) => `${r.instance} ${r.port}`))].map((k) => {
          const [instance = '', port = ''] = k.split(' ');
          const paths = ok
            .filter((r) => r.instance === instance && String(r.port) === port)
            .map((r) => r.path);
          return [instance, port, paths.join(' ')];
        }),
      ]),
    ];
  });
}

function firewallSection({ ev, d, bs, groups }: Context): string[] {
  const title = 'Firewall (probe ranges → health-check port, and the port the app serves)';
  return section(title, ev.firewallRules, (rules) => {
    const hc = ev.healthCheck.ok ? ev.healthCheck.value : null;
    const hcPort = hc && bs ? healthCheckPort(hc, bs.portName, groups) : undefined;
    const policies = ev.firewallPolicies?.ok ? ev.firewallPolicies.value : undefined;
    const ports = [...new Set([hcPort, d.serving?.port].filter((p): p is number => p !== undefined))];
    const instances = groups.flatMap((g) => g.instances);
    if (ports.length === 0 || instances.length === 0) return [`  ${rules.length} rules; no port to check`];
    const columns = ports.flatMap((port) => PROBE_RANGES.map((range) => `${range} tcp:${port}`));
    return table([
      ['INSTANCE', 'TAGS', ...columns],
      ...instances.map((i) => [
        i.name,
        i.tags.join(',') || '-',
        ...ports.flatMap((port) =>
          effectiveProbeVerdicts(rules, policies, i, port).map(
            (v) => `${v.verdict.allowed ? 'ALLOW' : 'DENY'} (${v.verdict.rule})`,
          ),
        ),
      ]),
    ]);
  });
}

/** `last 10 min`, or `since <time>` when lbmedic's last change or the incident's start cut the window short. */
function logWindow(l: LogFacts, collectedAt: string): string {
  const full = Date.parse(collectedAt) - l.windowMinutes * 60_000;
  const since = l.since === undefined ? NaN : Date.parse(l.since);
  // A second of slack: the reader's clock and the collection's differ by the time the read took.
  return Number.isFinite(since) && since > full + 1_000
    ? `since ${l.since} (the last change or the incident's start)`
    : `last ${l.windowMinutes} min`;
}

function logsSection({ ev }: Context): string[] {
  return section('LB request logs (statusDetails)', ev.logs, (l) => [
    `  ${logWindow(l, ev.collectedAt)}, ${l.total} entries${l.total >= l.limit ? ` (limit ${l.limit} reached)` : ''}`,
    ...table([
      ['STATUS_DETAILS', 'COUNT'],
      ...Object.entries(l.byStatusDetails)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, String(v)]),
    ]),
  ]);
}

function latencySection({ ev, bs }: Context): string[] {
  return section('Timeouts and latency', ev.latency, (l) =>
    table([
      ['timeoutSec', 'p50', 'p99', 'max', 'requests'],
      [String(bs?.timeoutSec ?? '?'), fmt(l.p50Ms), fmt(l.p99Ms), fmt(l.maxMs), String(l.requests)],
    ]),
  );
}

function negSection({ ev, bs }: Context): string[] {
  if (!bs?.backends.some((b) => b.kind === 'neg')) return [];
  return section('Network endpoint groups', ev.negs, (ns) =>
    table([
      ['NAME', 'TYPE', 'SIZE', 'TARGET'],
      ...ns.map((n) => [n.name, n.type, String(n.size), n.cloudRunService ?? '-']),
    ]),
  );
}

function conclusion(d: Diagnosis): string[] {
  return [
    `Conclusion: ${d.verdict}`,
    ...d.findings.flatMap((f) => [`  ✗ ${f.cause}: ${f.summary}`, ...f.evidence.map((e) => `      · ${e}`)]),
    ...d.notes.map((n) => `  note: ${n}`),
    ...d.unavailable.map((u) => `  could not see ${u.source}: ${u.error}`),
    ...(d.verdict === 'NO_FAULT'
      ? ['  backends are healthy and the logs show no 5xx from the backends']
      : []),
  ];
}

/** The evidence as the field guide's tables, in the order of its diagnostic steps, then the conclusion. */
export function renderDiagnosis(ev: Evidence, d: Diagnosis): string {
  const ctx: Context = {
    ev,
    d,
    bs: ev.backend.ok ? ev.backend.value : undefined,
    groups: ev.instanceGroups.ok ? ev.instanceGroups.value : [],
  };
  const sections = [
    backendSection,
    healthSection,
    healthCheckSection,
    portsSection,
    probeSection,
    firewallSection,
    logsSection,
    latencySection,
    negSection,
  ];
  return [
    `Diagnosis of ${ev.project}/${ev.backendService} at ${ev.collectedAt}`,
    '',
    ...sections.flatMap((s) => s(ctx)),
    ...conclusion(d),
  ].join('\n');
}
