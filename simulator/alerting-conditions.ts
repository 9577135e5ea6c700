/**
 * How simulated Cloud Monitoring evaluates the two kinds of alert condition lbmedic creates (pure: no
 * clock, no I/O; alerting.ts drives them on the World's clock).
 *
 * - `conditionThreshold`: the filter's series (and the denominator's, when `denominatorFilter` is set:
 *   then the value is numerator ÷ denominator) aligned and reduced with the condition's aggregations by
 *   the same code that serves `timeSeries.list` (monitoring-aggregation.ts), one value per time series
 *   and alignment period. A time series violates when its value compares true with `thresholdValue`;
 *   the condition is met for it once the violation has lasted the `duration`: "A condition resets its
 *   duration window each time a measurement doesn't satisfy the condition"
 *   (https://cloud.google.com/monitoring/alerts/concepts-indepth, "The effect of the duration window").
 * - `conditionMatchedLog`: a log entry matches the Logging filter; `labelExtractors` (`EXTRACT(field)`,
 *   `REGEXP_EXTRACT(field, "re")`) name the labels the incident carries (gcp-facts §11).
 */
import { invalid } from './errors';
import type { FilterNode } from './log-filter';
import { FilterSyntaxError, allComparisons, matches, parseFilter, resolvePath } from './log-filter';
import type { Aggregation, TimeSeriesJson } from './monitoring-aggregation';
import { aggregate, aggregationOf, parseDuration } from './monitoring-aggregation';
import { seriesResolver } from './routes-monitoring';
import type { NewLogEntry } from './telemetry';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A Duration as the API stores it (`"120s"` or `{seconds}`) in ms; undefined when absent. */
export function durationMs(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (isRecord(raw)) return Number(raw['seconds'] ?? 0) * 1000 + Number(raw['nanos'] ?? 0) / 1e6;
  return parseDuration(String(raw), 'duration');
}

const filters = new Map<string, FilterNode | undefined>();

/** A filter parsed once (policies are evaluated every sampling period). */
export function cachedFilter(text: string): FilterNode | undefined {
  if (!filters.has(text)) {
    try {
      filters.set(text, parseFilter(text));
    } catch (err) {
      if (err instanceof FilterSyntaxError) throw invalid(`Filter "${text}" is invalid: ${err.message}`);
      throw err;
    }
  }
  return filters.get(text);
}

/** The metric labels a filter asks for by equality (`metric.labels.response_code_class = 500`). */
function filterMetricLabels(filter: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of allComparisons(cachedFilter(filter))) {
    if (c.op !== '=' || c.value.kind !== 'literal' || c.path[0] !== 'metric') continue;
    if ((c.path[1] === 'labels' || c.path[1] === 'label') && c.path[2]) out[c.path[2]] = c.value.text;
  }
  return out;
}

/** The one `metric.type = "..."` a threshold filter names. */
export function metricTypeOf(filter: string): string {
  const cmp = allComparisons(cachedFilter(filter)).find((c) => c.path.join('.') === 'metric.type');
  return cmp?.value.kind === 'literal' ? cmp.value.text : '';
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  COMPARISON_GT: (a, b) => a > b,
  COMPARISON_GE: (a, b) => a >= b,
  COMPARISON_LT: (a, b) => a < b,
  COMPARISON_LE: (a, b) => a <= b,
  COMPARISON_EQ: (a, b) => a === b,
  COMPARISON_NE: (a, b) => a !== b,
};
/** ComparisonType's numbers (google/monitoring/v3/common.proto), for clients that send enums as ints. */
const COMPARISON_NUMBERS = [
  '',
  'COMPARISON_GT',
  'COMPARISON_GE',
  'COMPARISON_LT',
  'COMPARISON_LE',
  'COMPARISON_EQ',
  'COMPARISON_NE',
];

export function comparisonName(raw: unknown): string {
  const name = typeof raw === 'number' ? (COMPARISON_NUMBERS[raw] ?? '') : String(raw ?? '');
  return COMPARISONS[name] ? name : 'COMPARISON_GT';
}

/** One time series' verdict at the newest visible alignment period. */
export interface SeriesVerdict {
  /** The series' identity: its resource and metric labels that survived the reduction. */
  key: string;
  resource: { type: string; labels: Record<string, string> };
  metric: { type: string; labels: Record<string, string> };
  /** The value of the newest visible alignment period, when the series has one. */
  value?: number;
  violating: boolean;
  /** Violating for at least the condition's duration. */
  met: boolean;
}

function pointValue(raw: unknown): number | undefined {
  if (!isRecord(raw) || !isRecord(raw['value'])) return undefined;
  const v = raw['value'];
  if (v['doubleValue'] !== undefined) return Number(v['doubleValue']);
  if (v['int64Value'] !== undefined) return Number(v['int64Value']);
  return undefined;
}

function pointEnd(raw: unknown): number {
  const interval = isRecord(raw) && isRecord(raw['interval']) ? raw['interval'] : {};
  return Date.parse(String(interval['endTime'] ?? ''));
}

function labelsOf(series: TimeSeriesJson, part: 'resource' | 'metric'): Record<string, string> {
  const node = series[part];
  const labels = isRecord(node) && isRecord(node['labels']) ? node['labels'] : {};
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
}

function seriesKey(series: TimeSeriesJson): string {
  const sorted = (l: Record<string, string>) => Object.entries(l).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([sorted(labelsOf(series, 'resource')), sorted(labelsOf(series, 'metric'))]);
}

/** Aligned and reduced series of one filter, each as end time → value. */
function alignedValues(
  all: TimeSeriesJson[],
  filter: string,
  agg: Aggregation,
  start: number,
  end: number,
): Map<string, { series: TimeSeriesJson; values: Map<number, number> }> {
  const node = cachedFilter(filter);
  const selected = all.filter((s) => matches(node, seriesResolver(s), { caseSensitive: true }));
  const out = new Map<string, { series: TimeSeriesJson; values: Map<number, number> }>();
  for (const series of aggregate(selected, agg, start, end)) {
    const values = new Map<number, number>();
    for (const p of series.points ?? []) {
      const v = pointValue(p);
      if (v !== undefined) values.set(pointEnd(p), v);
    }
    out.set(seriesKey(series), { series, values });
  }
  return out;
}

/**
 * Every time series of a threshold condition at `visibleEnd` (the end of the newest alignment period
 * whose samples are visible). `scale` turns the condition's simulated durations into the samples' real
 * milliseconds (the World's time scale).
 */
export function evaluateThreshold(
  condition: Json,
  series: TimeSeriesJson[],
  visibleEnd: number,
  scale: number,
): SeriesVerdict[] {
  const filter = String(condition['filter'] ?? '');
  const scaled = (spec: unknown, field: string): Aggregation => {
    const agg = aggregationOf(isRecord(spec) ? spec : {}, field);
    return { ...agg, periodMs: agg.periodMs * scale };
  };
  const aggregations = Array.isArray(condition['aggregations']) ? condition['aggregations'] : [];
  const agg = scaled(aggregations[0], 'aggregations[0]');
  const denominatorFilter =
    typeof condition['denominatorFilter'] === 'string' ? condition['denominatorFilter'] : '';
  const denominatorAggs = Array.isArray(condition['denominatorAggregations'])
    ? condition['denominatorAggregations']
    : [];
  const duration = (durationMs(condition['duration']) ?? 0) * scale;
  const needed = Math.max(1, Math.ceil(duration / agg.periodMs - 1e-9));
  const start = visibleEnd - (needed + 1) * agg.periodMs;
  const compare = COMPARISONS[comparisonName(condition['comparison'])] ?? ((a, b) => a > b);
  const threshold = Number(condition['thresholdValue'] ?? 0);

  const numerators = alignedValues(series, filter, agg, start, visibleEnd);
  const denominators = denominatorFilter
    ? alignedValues(
        series,
        denominatorFilter,
        scaled(denominatorAggs[0] ?? aggregations[0], 'denominatorAggregations[0]'),
        start,
        visibleEnd,
      )
    : undefined;
  const base = denominators ?? numerators;
  const verdicts: SeriesVerdict[] = [];
  for (const [key, { series: s, values }] of base) {
    const valueAt = (end: number): number | undefined => {
      if (!denominators) return values.get(end);
      const den = values.get(end);
      if (den === undefined || den <= 0) return undefined;
      return (numerators.get(key)?.values.get(end) ?? 0) / den;
    };
    let run = 0;
    for (let i = 0; i < needed; i++) {
      const v = valueAt(visibleEnd - i * agg.periodMs);
      if (v === undefined || !compare(v, threshold)) break;
      run += 1;
    }
    const value = valueAt(visibleEnd);
    verdicts.push({
      key,
      resource: {
        type: String((s['resource'] as Json | undefined)?.['type'] ?? ''),
        labels: labelsOf(s, 'resource'),
      },
      // As Monitoring shows it: the numerator's metric labels as its filter asks for them.
      metric: {
        type: metricTypeOf(filter),
        labels: { ...filterMetricLabels(filter), ...labelsOf(s, 'metric') },
      },
      ...(value === undefined ? {} : { value }),
      violating: value !== undefined && compare(value, threshold),
      met: run >= needed,
    });
  }
  return verdicts;
}

/** Does a log entry match a log-match condition? Then the labels its extractors take from it. */
export function matchLog(condition: Json, entry: NewLogEntry): Record<string, string> | undefined {
  const node = cachedFilter(String(condition['filter'] ?? ''));
  if (!matches(node, (path) => resolvePath(entry, path))) return undefined;
  const labels: Record<string, string> = {};
  const extractors = isRecord(condition['labelExtractors']) ? condition['labelExtractors'] : {};
  for (const [name, expr] of Object.entries(extractors)) {
    const m = /^\s*(EXTRACT|REGEXP_EXTRACT)\(\s*([\w.@-]+)\s*(?:,\s*"((?:[^"\\]|\\.)*)"\s*)?\)\s*$/.exec(
      String(expr),
    );
    if (!m) continue;
    const value = resolvePath(entry, (m[2] ?? '').split('.'))[0];
    if (value === undefined || value === null) continue;
    const text = String(value);
    if (m[1] === 'EXTRACT') labels[name] = text;
    else {
      const found = new RegExp(m[3] ?? '').exec(text);
      if (found?.[1] !== undefined) labels[name] = found[1];
    }
  }
  return labels;
}
