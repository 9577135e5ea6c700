/**
 * Backend latency from Cloud Monitoring: the load balancer's `backend_latencies` distributions over
 * the window, merged into conservative percentiles (the evidence a timeout raise is sized from).
 */
import type { protos } from '@google-cloud/monitoring';
import type { LatencyFacts } from '../core/evidence';
import type { GcpClients } from './gcp-clients';
import { num } from './wire-values';

type Distribution = protos.google.api.IDistribution;

/** Upper bounds of a distribution's finite buckets (Monitoring's three bucket layouts). */
function bucketBounds(d: Distribution): number[] {
  const o = d.bucketOptions;
  if (o?.explicitBuckets?.bounds) return o.explicitBuckets.bounds.map(Number);
  if (o?.exponentialBuckets) {
    const { numFiniteBuckets, growthFactor, scale } = o.exponentialBuckets;
    return Array.from({ length: num(numFiniteBuckets) + 1 }, (_, i) => num(scale) * num(growthFactor) ** i);
  }
  if (o?.linearBuckets) {
    const { numFiniteBuckets, width, offset } = o.linearBuckets;
    return Array.from({ length: num(numFiniteBuckets) + 1 }, (_, i) => num(offset) + num(width) * i);
  }
  return [];
}

/**
 * Merges distributions and returns p50/p99/max as bucket upper bounds (conservative: a timeout
 * raised from them covers the observed requests). The overflow bucket has no upper bound: its
 * requests count at the largest finite bound, which the caller's margin must cover.
 */
export function latencyPercentiles(ds: Distribution[]): {
  p50?: number;
  p99?: number;
  max?: number;
  count: number;
} {
  const counts = new Map<number, number>();
  let total = 0;
  for (const d of ds) {
    const bounds = bucketBounds(d);
    (d.bucketCounts ?? []).forEach((c, i) => {
      const n = num(c);
      if (n === 0) return;
      // Bucket 0 is underflow (< bounds[0]); bucket i covers [bounds[i-1], bounds[i]); the last is overflow.
      const upper = bounds[Math.min(i, bounds.length - 1)] ?? 0;
      counts.set(upper, (counts.get(upper) ?? 0) + n);
      total += n;
    });
  }
  if (total === 0) return { count: 0 };
  const sorted = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const at = (q: number) => {
    let seen = 0;
    for (const [upper, c] of sorted) {
      seen += c;
      if (seen >= q * total) return upper;
    }
    return sorted[sorted.length - 1]?.[0];
  };
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]?.[0], count: total };
}

const LB_METRICS = 'loadbalancing.googleapis.com/https';

/**
 * The backend_latencies filters (timeSeries.list takes one metric type per filter): a global load
 * balancer's under `https/`; a regional one's under `https/external/regional/` (regional external
 * ALB) or `https/internal/` (internal ALB), with its region
 * (https://cloud.google.com/monitoring/api/metrics_gcp_i_o). Only one of the two has series.
 */
export function latencyFilters(backendService: string, region?: string): string[] {
  const target = `resource.labels.backend_target_name="${backendService}"`;
  if (!region) return [`metric.type="${LB_METRICS}/backend_latencies" AND ${target}`];
  return ['external/regional', 'internal'].map(
    (kind) =>
      `metric.type="${LB_METRICS}/${kind}/backend_latencies" AND ${target} AND resource.labels.region="${region}"`,
  );
}

/** The evidence: backend latency percentiles of the last `windowMinutes`. */
export async function readBackendLatency(
  clients: Pick<GcpClients, 'metrics'>,
  t: { project: string; backendService: string; region?: string; windowMinutes: number },
): Promise<LatencyFacts> {
  const { project, backendService, windowMinutes } = t;
  const end = Date.now();
  const series = [];
  for (const filter of latencyFilters(backendService, t.region)) {
    const [found] = await clients.metrics.listTimeSeries({
      name: `projects/${project}`,
      filter,
      interval: {
        startTime: { seconds: Math.floor((end - windowMinutes * 60_000) / 1000) },
        endTime: { seconds: Math.ceil(end / 1000) },
      },
      view: 'FULL',
    });
    series.push(...found);
  }
  const ds = series.flatMap((s) =>
    (s.points ?? []).map((p) => p.value?.distributionValue).filter((d): d is Distribution => Boolean(d)),
  );
  const p = latencyPercentiles(ds);
  return {
    windowMinutes,
    requests: p.count,
    ...(p.p50 !== undefined ? { p50Ms: p.p50 } : {}),
    ...(p.p99 !== undefined ? { p99Ms: p.p99 } : {}),
    ...(p.max !== undefined ? { maxMs: p.max } : {}),
  } satisfies LatencyFacts;
}
