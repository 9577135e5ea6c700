/**
 * The part of Monitoring's `aggregation` that the simulator implements for `timeSeries.list`:
 * `alignmentPeriod` with `perSeriesAligner` ALIGN_NONE | ALIGN_DELTA | ALIGN_SUM | ALIGN_RATE |
 * ALIGN_MEAN | ALIGN_MIN | ALIGN_MAX | ALIGN_COUNT | ALIGN_PERCENTILE_{99,95,50,05} (percentiles on
 * distributions, interpolated inside their buckets), and `crossSeriesReducer` REDUCE_NONE |
 * REDUCE_SUM | REDUCE_MEAN | REDUCE_MIN | REDUCE_MAX | REDUCE_COUNT | REDUCE_PERCENTILE_{99,95,50,05}
 * with `groupByFields`. Anything else is a 400. Alignment windows end at the interval's end time and
 * step back by the period; empty windows give no point. Enums arrive as names or, from clients that
 * ask for `enum-encoding=int`, as numbers.
 *
 * Pure: no I/O, no clock.
 */
import { invalid } from './errors';
import { resolvePath } from './log-filter';

export interface Aggregation {
  periodMs: number;
  aligner: string;
  reducer: string;
  groupByFields: string[];
}

const ALIGNERS: Record<number, string> = {
  0: 'ALIGN_NONE',
  1: 'ALIGN_DELTA',
  2: 'ALIGN_RATE',
  10: 'ALIGN_MIN',
  11: 'ALIGN_MAX',
  12: 'ALIGN_MEAN',
  13: 'ALIGN_COUNT',
  14: 'ALIGN_SUM',
  18: 'ALIGN_PERCENTILE_99',
  19: 'ALIGN_PERCENTILE_95',
  20: 'ALIGN_PERCENTILE_50',
  21: 'ALIGN_PERCENTILE_05',
};

const REDUCERS: Record<number, string> = {
  0: 'REDUCE_NONE',
  1: 'REDUCE_MEAN',
  2: 'REDUCE_MIN',
  3: 'REDUCE_MAX',
  4: 'REDUCE_SUM',
  6: 'REDUCE_COUNT',
  9: 'REDUCE_PERCENTILE_99',
  10: 'REDUCE_PERCENTILE_95',
  11: 'REDUCE_PERCENTILE_50',
  12: 'REDUCE_PERCENTILE_05',
};

function enumName(raw: string | null, names: Record<number, string>, field: string, none: string): string {
  if (raw === null || raw === '') return none;
  const name = /^\d+$/.test(raw) ? names[Number(raw)] : Object.values(names).find((n) => n === raw);
  if (!name)
    throw invalid(`Field ${field} had an invalid value of "${raw}": not supported by the simulator.`);
  return name;
}

/** Duration JSON: `"60s"`, `"1.5s"`. */
export function parseDuration(text: string, field: string): number {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(text.trim());
  if (!m)
    throw invalid(`Field ${field} had an invalid value of "${text}": must be a duration such as "60s".`);
  return Number(m[1]) * 1000;
}

/** The aggregation asked for in query parameters, or undefined for raw points. */
export function parseAggregation(query: URLSearchParams): Aggregation | undefined {
  const aligner = enumName(
    query.get('aggregation.perSeriesAligner'),
    ALIGNERS,
    'aggregation.perSeriesAligner',
    'ALIGN_NONE',
  );
  const reducer = enumName(
    query.get('aggregation.crossSeriesReducer'),
    REDUCERS,
    'aggregation.crossSeriesReducer',
    'REDUCE_NONE',
  );
  const period = query.get('aggregation.alignmentPeriod');
  const groupByFields = query.getAll('aggregation.groupByFields');
  if (aligner === 'ALIGN_NONE' && reducer === 'REDUCE_NONE') return undefined;
  if (aligner === 'ALIGN_NONE') {
    throw invalid(
      'Field aggregation.perSeriesAligner had an invalid value: a cross-series reducer needs an aligner.',
    );
  }
  if (!period) throw invalid('Field aggregation.alignmentPeriod is required when an aligner is given.');
  const periodMs = parseDuration(period, 'aggregation.alignmentPeriod');
  if (periodMs <= 0) throw invalid('Field aggregation.alignmentPeriod must be positive.');
  return { periodMs, aligner, reducer, groupByFields };
}

/**
 * An alert condition's `aggregations[i]` (JSON as the Monitoring API stores it: enums as names or
 * numbers, the period as `"60s"` or `{seconds}`) in the form {@link aggregate} takes.
 */
export function aggregationOf(spec: Record<string, unknown>, field: string): Aggregation {
  const text = (v: unknown) => (v === undefined || v === null ? null : String(v));
  const period = spec['alignmentPeriod'];
  const periodText =
    period !== null && typeof period === 'object'
      ? `${String((period as { seconds?: unknown }).seconds ?? 0)}s`
      : text(period);
  if (!periodText) throw invalid(`Field ${field}.alignmentPeriod is required.`);
  return {
    periodMs: parseDuration(periodText, `${field}.alignmentPeriod`),
    aligner: enumName(text(spec['perSeriesAligner']), ALIGNERS, `${field}.perSeriesAligner`, 'ALIGN_NONE'),
    reducer: enumName(
      text(spec['crossSeriesReducer']),
      REDUCERS,
      `${field}.crossSeriesReducer`,
      'REDUCE_NONE',
    ),
    groupByFields: Array.isArray(spec['groupByFields']) ? spec['groupByFields'].map(String) : [],
  };
}

// ------------------------------------------------------------------------------------------- values

interface Distribution {
  count: number;
  mean: number;
  bucketOptions?: Record<string, unknown>;
  bucketCounts?: number[];
}

type Value = { kind: 'int'; v: number } | { kind: 'double'; v: number } | { kind: 'dist'; d: Distribution };

interface Point {
  start: number;
  end: number;
  value: Value;
}

export type TimeSeriesJson = Record<string, unknown> & { points?: unknown[] };

function readValue(raw: unknown): Value | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const v = raw as Record<string, unknown>;
  if (v['int64Value'] !== undefined) return { kind: 'int', v: Number(v['int64Value']) };
  if (v['doubleValue'] !== undefined) return { kind: 'double', v: Number(v['doubleValue']) };
  const d = v['distributionValue'];
  if (d !== null && typeof d === 'object') {
    const dist = d as Record<string, unknown>;
    const counts = Array.isArray(dist['bucketCounts']) ? dist['bucketCounts'].map(Number) : undefined;
    const options = dist['bucketOptions'];
    return {
      kind: 'dist',
      d: {
        count: Number(dist['count'] ?? 0),
        mean: Number(dist['mean'] ?? 0),
        ...(options !== null && typeof options === 'object'
          ? { bucketOptions: options as Record<string, unknown> }
          : {}),
        ...(counts ? { bucketCounts: counts } : {}),
      },
    };
  }
  return undefined;
}

function writeValue(value: Value): Record<string, unknown> {
  switch (value.kind) {
    case 'int':
      return { int64Value: String(Math.round(value.v)) };
    case 'double':
      return { doubleValue: value.v };
    default: {
      const d = value.d;
      return {
        distributionValue: {
          count: String(d.count),
          mean: d.mean,
          ...(d.bucketOptions ? { bucketOptions: d.bucketOptions } : {}),
          ...(d.bucketCounts ? { bucketCounts: d.bucketCounts.map(String) } : {}),
        },
      };
    }
  }
}

function readPoints(series: TimeSeriesJson): Point[] {
  const out: Point[] = [];
  for (const raw of series.points ?? []) {
    if (raw === null || typeof raw !== 'object') continue;
    const p = raw as { interval?: { startTime?: string; endTime?: string }; value?: unknown };
    const end = Date.parse(p.interval?.endTime ?? '');
    const value = readValue(p.value);
    if (Number.isNaN(end) || !value) continue;
    const start = Date.parse(p.interval?.startTime ?? '');
    out.push({ start: Number.isNaN(start) ? end : start, end, value });
  }
  return out;
}

function mergeDistributions(ds: Distribution[]): Distribution {
  const count = ds.reduce((n, d) => n + d.count, 0);
  const mean = count === 0 ? 0 : ds.reduce((s, d) => s + d.mean * d.count, 0) / count;
  const first = ds[0];
  const sameBuckets =
    first?.bucketCounts !== undefined &&
    ds.every(
      (d) =>
        d.bucketCounts?.length === first.bucketCounts?.length &&
        JSON.stringify(d.bucketOptions) === JSON.stringify(first.bucketOptions),
    );
  if (!first || !sameBuckets || !first.bucketCounts) return { count, mean };
  const bucketCounts = first.bucketCounts.map((_, i) =>
    ds.reduce((n, d) => n + (d.bucketCounts?.[i] ?? 0), 0),
  );
  return {
    count,
    mean,
    ...(first.bucketOptions ? { bucketOptions: first.bucketOptions } : {}),
    bucketCounts,
  };
}

/** [lower, upper) of bucket i, per Monitoring's BucketOptions. */
function bucketBounds(options: Record<string, unknown>, i: number): [number, number] {
  const explicit = options['explicitBuckets'] as { bounds?: number[] } | undefined;
  if (explicit?.bounds) {
    const b = explicit.bounds;
    return [i === 0 ? -Infinity : (b[i - 1] ?? Infinity), b[i] ?? Infinity];
  }
  const linear = options['linearBuckets'] as
    { numFiniteBuckets?: number; width?: number; offset?: number } | undefined;
  if (linear) {
    const { numFiniteBuckets: n = 0, width = 1, offset = 0 } = linear;
    if (i === 0) return [-Infinity, offset];
    if (i > n) return [offset + width * n, Infinity];
    return [offset + width * (i - 1), offset + width * i];
  }
  const exp = options['exponentialBuckets'] as
    { numFiniteBuckets?: number; growthFactor?: number; scale?: number } | undefined;
  const { numFiniteBuckets: n = 0, growthFactor: g = 2, scale = 1 } = exp ?? {};
  if (i === 0) return [-Infinity, scale];
  if (i > n) return [scale * g ** n, Infinity];
  return [scale * g ** (i - 1), scale * g ** i];
}

/** The q-quantile (0..1) of a distribution, interpolated linearly inside its bucket. */
export function percentile(d: Distribution, q: number): number {
  if (!d.bucketCounts || !d.bucketOptions || d.count === 0) return d.mean;
  const target = q * d.count;
  let seen = 0;
  for (const [i, n] of d.bucketCounts.entries()) {
    if (n === 0) continue;
    if (seen + n >= target) {
      const [lo, hi] = bucketBounds(d.bucketOptions, i);
      if (!Number.isFinite(lo)) return Number.isFinite(hi) ? Math.min(hi, d.mean) : d.mean;
      if (!Number.isFinite(hi)) return Math.max(lo, d.mean);
      return lo + ((target - seen) / n) * (hi - lo);
    }
    seen += n;
  }
  return d.mean;
}

const PERCENTILES: Record<string, number> = { '99': 0.99, '95': 0.95, '50': 0.5, '05': 0.05 };

function percentileOf(name: string): number | undefined {
  const m = /_PERCENTILE_(\d\d)$/.exec(name);
  return m?.[1] ? PERCENTILES[m[1]] : undefined;
}

function numeric(values: Value[], what: string): number[] {
  return values.map((v) => {
    if (v.kind === 'dist')
      throw invalid(`${what} is not supported for DISTRIBUTION metrics by the simulator.`);
    return v.v;
  });
}

/** Combine values with a SUM/MEAN/MIN/MAX/COUNT/PERCENTILE step (aligners and reducers share this). */
function combine(op: string, values: Value[], periodSec: number): Value {
  const p = percentileOf(op);
  if (p !== undefined) {
    const dists = values.map((v) => {
      if (v.kind !== 'dist') throw invalid(`${op} needs a DISTRIBUTION metric.`);
      return v.d;
    });
    return { kind: 'double', v: percentile(mergeDistributions(dists), p) };
  }
  const kind = op.replace(/^(ALIGN|REDUCE)_/, '');
  if (kind === 'COUNT') return { kind: 'int', v: values.length };
  if (kind === 'DELTA' || kind === 'SUM' || kind === 'RATE') {
    const first = values[0];
    let sum: Value;
    if (first?.kind === 'dist') {
      sum = {
        kind: 'dist',
        d: mergeDistributions(values.map((v) => (v.kind === 'dist' ? v.d : { count: 0, mean: 0 }))),
      };
    } else {
      const total = numeric(values, op).reduce((a, b) => a + b, 0);
      sum = { kind: values.every((v) => v.kind === 'int') ? 'int' : 'double', v: total };
    }
    if (kind !== 'RATE') return sum;
    if (sum.kind === 'dist')
      throw invalid('ALIGN_RATE is not supported for DISTRIBUTION metrics by the simulator.');
    return { kind: 'double', v: sum.v / periodSec };
  }
  if (kind === 'MEAN') {
    if (values.every((v) => v.kind === 'dist')) {
      return {
        kind: 'double',
        v: mergeDistributions(values.map((v) => (v.kind === 'dist' ? v.d : { count: 0, mean: 0 }))).mean,
      };
    }
    const nums = numeric(values, op);
    return { kind: 'double', v: nums.reduce((a, b) => a + b, 0) / Math.max(1, nums.length) };
  }
  const nums = numeric(values, op);
  const v = kind === 'MAX' ? Math.max(...nums) : Math.min(...nums);
  return { kind: values.every((x) => x.kind === 'int') ? 'int' : 'double', v };
}

function valueType(v: Value | undefined, fallback: unknown): unknown {
  if (!v) return fallback;
  return v.kind === 'int' ? 'INT64' : v.kind === 'double' ? 'DOUBLE' : 'DISTRIBUTION';
}

function toSeries(template: TimeSeriesJson, points: Point[], kind: string): TimeSeriesJson {
  const sorted = [...points].sort((a, b) => b.end - a.end);
  return {
    ...template,
    metricKind: kind,
    valueType: valueType(sorted[0]?.value, template['valueType']),
    points: sorted.map((p) => ({
      interval: { startTime: new Date(p.start).toISOString(), endTime: new Date(p.end).toISOString() },
      value: writeValue(p.value),
    })),
  };
}

/** Keep only points whose end time lies in [start, end]; newest first, as Monitoring returns them. */
export function clipToInterval(series: TimeSeriesJson, start: number, end: number): TimeSeriesJson {
  const points = (series.points ?? []).filter((raw) => {
    const t = Date.parse((raw as { interval?: { endTime?: string } }).interval?.endTime ?? '');
    return !Number.isNaN(t) && t >= start && t <= end;
  });
  points.sort(
    (a, b) =>
      Date.parse((b as { interval: { endTime: string } }).interval.endTime) -
      Date.parse((a as { interval: { endTime: string } }).interval.endTime),
  );
  return { ...series, points };
}

function alignSeries(series: TimeSeriesJson, agg: Aggregation, start: number, end: number): TimeSeriesJson {
  const points = readPoints(series);
  const out: Point[] = [];
  if ((end - start) / agg.periodMs > 100_000) {
    throw invalid('The interval holds more than 100000 alignment periods; use a longer alignmentPeriod.');
  }
  for (let bucketEnd = end; ; bucketEnd -= agg.periodMs) {
    const bucketStart = bucketEnd - agg.periodMs;
    const inside = points.filter((p) => p.end > bucketStart && p.end <= bucketEnd).map((p) => p.value);
    if (inside.length > 0) {
      out.push({
        start: bucketStart,
        end: bucketEnd,
        value: combine(agg.aligner, inside, agg.periodMs / 1000),
      });
    }
    if (bucketStart <= start) break;
  }
  const kind = agg.aligner === 'ALIGN_DELTA' || agg.aligner === 'ALIGN_SUM' ? 'DELTA' : 'GAUGE';
  return toSeries(series, out, kind);
}

/** A group-by field (`resource.labels.x`, `metric.label.x`) as a path into the series JSON. */
function fieldPath(field: string): string[] {
  const parts = field.split('.');
  if ((parts[0] === 'resource' || parts[0] === 'metric') && parts[1] === 'label') parts[1] = 'labels';
  return parts;
}

function reduceSeries(all: TimeSeriesJson[], agg: Aggregation): TimeSeriesJson[] {
  const groups = new Map<string, TimeSeriesJson[]>();
  for (const series of all) {
    const key = JSON.stringify(agg.groupByFields.map((f) => resolvePath(series, fieldPath(f))));
    groups.set(key, [...(groups.get(key) ?? []), series]);
  }
  const out: TimeSeriesJson[] = [];
  for (const members of groups.values()) {
    const first = members[0];
    if (!first) continue;
    const byEnd = new Map<number, { start: number; values: Value[] }>();
    for (const series of members) {
      for (const p of readPoints(series)) {
        const slot = byEnd.get(p.end) ?? { start: p.start, values: [] };
        slot.values.push(p.value);
        byEnd.set(p.end, slot);
      }
    }
    const points = [...byEnd.entries()].map(([end, slot]) => ({
      start: slot.start,
      end,
      value: combine(agg.reducer, slot.values, agg.periodMs / 1000),
    }));
    const keep = (labels: unknown, prefix: string): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      if (labels === null || typeof labels !== 'object') return out;
      for (const [k, v] of Object.entries(labels)) {
        if (agg.groupByFields.some((f) => fieldPath(f).join('.') === `${prefix}.labels.${k}`)) out[k] = v;
      }
      return out;
    };
    const metric = (first['metric'] ?? {}) as Record<string, unknown>;
    const resource = (first['resource'] ?? {}) as Record<string, unknown>;
    out.push(
      toSeries(
        {
          ...first,
          metric: { ...metric, labels: keep(metric['labels'], 'metric') },
          resource: { ...resource, labels: keep(resource['labels'], 'resource') },
        },
        points,
        String(first['metricKind'] ?? 'GAUGE'),
      ),
    );
  }
  return out;
}

/** Align each series over [start, end], then reduce across series when a reducer is given. */
export function aggregate(
  series: TimeSeriesJson[],
  agg: Aggregation,
  start: number,
  end: number,
): TimeSeriesJson[] {
  const aligned = series
    .map((s) => alignSeries(s, agg, start, end))
    .filter((s) => (s.points?.length ?? 0) > 0);
  return agg.reducer === 'REDUCE_NONE' ? aligned : reduceSeries(aligned, agg);
}
