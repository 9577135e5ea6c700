/**
 * Renders evidence and a diagnosis as the field guide's tables, for humans (`lbmedic diagnose`).
 */
import type { Diagnosis } from './classify';
import { healthCheckPort } from './classify';
import type { Evidence, Source } from './evidence';
import { PROBE_RANGES, probeVerdicts } from './firewall';

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

export function renderDiagnosis(ev: Evidence, d: Diagnosis): string {
  const out: string[] = [`Diagnosis of ${ev.project}/${ev.backendService} at ${ev.collectedAt}`, ''];
  const bs = ev.backend.ok ? ev.backend.value : undefined;
  const groups = ev.instanceGroups.ok ? ev.instanceGroups.value : [];

  out.push(
    ...section('Backend service', ev.backend, (b) =>
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
    ),
  );
  out.push(
    ...section('Instances and health (getHealth)', ev.health, (hs) =>
      hs.length === 0
        ? ['  no instance-group backends']
        : table([
            ['INSTANCE', 'GROUP', 'IP', 'PORT', 'HEALTH_STATE'],
            ...hs.map((h) => [h.instance, h.group, h.ipAddress, String(h.port ?? '-'), h.healthState]),
          ]),
    ),
  );
  out.push(
    ...section('Health check', ev.healthCheck, (hc) => {
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
    }),
  );
  out.push(
    ...section('Ports (named ports vs the app)', ev.instanceGroups, (gs) =>
      table([
        ['GROUP', 'NAMED_PORTS', 'BACKEND portName'],
        ...gs.map((g) => [
          g.name,
          g.namedPorts.map((p) => `${p.name}:${p.port}`).join(', ') || 'none',
          bs?.portName ?? '?',
        ]),
      ]),
    ),
  );
  out.push(
    ...section('In-VPC probe (HTTP 200 answers)', ev.probe, (rs) => {
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
    }),
  );
  out.push(
    ...section(
      'Firewall (probe ranges → health-check port, and the port the app serves)',
      ev.firewallRules,
      (rules) => {
        const hc = ev.healthCheck.ok ? ev.healthCheck.value : null;
        const hcPort = hc && bs ? healthCheckPort(hc, bs.portName, groups) : undefined;
        const ports = [...new Set([hcPort, d.serving?.port].filter((p): p is number => p !== undefined))];
        const instances = groups.flatMap((g) => g.instances);
        if (ports.length === 0 || instances.length === 0)
          return [`  ${rules.length} rules; no port to check`];
        const columns = ports.flatMap((port) => PROBE_RANGES.map((range) => `${range} tcp:${port}`));
        return table([
          ['INSTANCE', 'TAGS', ...columns],
          ...instances.map((i) => [
            i.name,
            i.tags.join(',') || '-',
            ...ports.flatMap((port) =>
              probeVerdicts(rules, i, port).map(
                (v) => `${v.verdict.allowed ? 'ALLOW' : 'DENY'} (${v.verdict.rule})`,
              ),
            ),
          ]),
        ]);
      },
    ),
  );
  out.push(
    ...section('LB request logs (statusDetails)', ev.logs, (l) => [
      `  last ${l.windowMinutes} min, ${l.total} entries${l.total >= l.limit ? ` (limit ${l.limit} reached)` : ''}`,
      ...table([
        ['STATUS_DETAILS', 'COUNT'],
        ...Object.entries(l.byStatusDetails)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [k, String(v)]),
      ]),
    ]),
  );
  out.push(
    ...section('Timeouts and latency', ev.latency, (l) =>
      table([
        ['timeoutSec', 'p50', 'p99', 'max', 'requests'],
        [String(bs?.timeoutSec ?? '?'), fmt(l.p50Ms), fmt(l.p99Ms), fmt(l.maxMs), String(l.requests)],
      ]),
    ),
  );
  if (bs?.backends.some((b) => b.kind === 'neg')) {
    out.push(
      ...section('Network endpoint groups', ev.negs, (ns) =>
        table([
          ['NAME', 'TYPE', 'SIZE', 'TARGET'],
          ...ns.map((n) => [n.name, n.type, String(n.size), n.cloudRunService ?? '-']),
        ]),
      ),
    );
  }

  out.push(`Conclusion: ${d.verdict}`);
  for (const f of d.findings) {
    out.push(`  ✗ ${f.cause}: ${f.summary}`);
    for (const e of f.evidence) out.push(`      · ${e}`);
  }
  for (const n of d.notes) out.push(`  note: ${n}`);
  for (const u of d.unavailable) out.push(`  could not see ${u.source}: ${u.error}`);
  if (d.verdict === 'NO_FAULT') out.push('  backends are healthy and the logs show no 5xx from the backends');
  return out.join('\n');
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '-' : `${Math.round(ms)} ms`;
}
