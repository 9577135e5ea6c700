/**
 * Why the rules that look meant for the probes do not admit them, rule by rule, as a person checking
 * the firewall would say it: disabled, target tags that miss the instances' tags, a missing probe
 * range, a missing port, or shadowed by a higher-priority deny. A disabled rule that would admit the
 * probes is never silently duplicated: the finding names it, and the plan asks for it to be enabled.
 */
import type { InstanceFacts } from '../evidence';
import type { FirewallRule } from '../firewall';
import { cidrContains, networkName, PROBE_RANGES } from '../firewall';
import { effectiveProbeVerdicts } from '../firewall-policy';
import type { FirewallPolicyFacts } from '../evidence';

export interface Candidate {
  rule: string;
  reason: string;
}

const tcpPorts = (r: FirewallRule) =>
  (r.allowed ?? []).filter((a) => ['tcp', 'all', '6'].includes(a.IPProtocol.toLowerCase()));

function allowsPort(r: FirewallRule, port: number): boolean {
  return tcpPorts(r).some(
    (a) =>
      !a.ports?.length ||
      a.ports.some((p) => {
        const [lo, hi] = p.split('-').map(Number);
        return hi === undefined ? lo === port : (lo ?? NaN) <= port && port <= hi;
      }),
  );
}

const portsText = (r: FirewallRule) =>
  tcpPorts(r)
    .map((a) => (a.ports?.length ? a.ports.join(',') : 'all'))
    .join(',') || 'none';

/**
 * The allow rules that cover a probe range or the port on the instances' network, and why each does
 * not admit the probes to `blocked` on `port`.
 */
export function candidateReasons(
  rules: FirewallRule[],
  policies: FirewallPolicyFacts[] | undefined,
  blocked: InstanceFacts[],
  port: number,
): { candidates: Candidate[]; disabledAdmitting: string[] } {
  const network = blocked[0]?.network ?? '';
  const tags = [...new Set(blocked.flatMap((i) => i.tags))].sort();
  const candidates: Candidate[] = [];
  const disabledAdmitting: string[] = [];
  for (const r of rules) {
    if (r.denied?.length || (r.direction || 'INGRESS') !== 'INGRESS') continue;
    if (networkName(r.network) !== networkName(network)) continue;
    const ranges = PROBE_RANGES.filter((p) => (r.sourceRanges ?? []).some((s) => cidrContains(s, p)));
    if (ranges.length === 0 && !allowsPort(r, port)) continue;
    const reasons: string[] = [];
    if (r.disabled) reasons.push('disabled');
    if (r.targetTags?.length && !r.targetTags.some((t) => tags.includes(t)))
      reasons.push(`targets tags ${r.targetTags.join(',')}; the instances have ${tags.join(',') || 'none'}`);
    const missing = PROBE_RANGES.filter((p) => !ranges.includes(p));
    if (missing.length) reasons.push(`lacks source range ${missing.join(', ')}`);
    if (!allowsPort(r, port)) reasons.push(`allows tcp:${portsText(r)}, not tcp:${port}`);
    if (reasons.length === 0) {
      // It would admit on its own: something of higher priority decides first.
      const v = effectiveProbeVerdicts(rules, policies, blocked[0]!, port).find((x) => !x.verdict.allowed);
      if (v) reasons.push(`shadowed by ${v.verdict.rule}`);
    }
    if (reasons.length === 0) continue;
    candidates.push({ rule: r.name, reason: reasons.join('; ') });
    if (r.disabled && reasons.length === 1) {
      const enabled = rules.map((x) => (x === r ? { ...x, disabled: false } : x));
      const admits = blocked.every((i) =>
        effectiveProbeVerdicts(enabled, policies, i, port).every((v) => v.verdict.allowed),
      );
      if (admits) disabledAdmitting.push(r.name);
    }
  }
  return { candidates, disabledAdmitting };
}
