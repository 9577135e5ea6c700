import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, parseAggregation, percentile } from '../../simulator/monitoring-aggregation';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function countSeries(backend: string, code: string, counts: number[]) {
  return {
    metric: {
      type: 'loadbalancing.googleapis.com/https/request_count',
      labels: { response_code_class: code },
    },
    resource: { type: 'https_lb_rule', labels: { backend_target_name: backend } },
    metricKind: 'DELTA',
    valueType: 'INT64',
    points: counts.map((n, i) => ({
      interval: { startTime: iso(T0 + i * 60_000), endTime: iso(T0 + (i + 1) * 60_000) },
      value: { int64Value: String(n) },
    })),
  };
}

test('enums arrive as names or numbers; a reducer without an aligner is invalid', () => {
  const byName = parseAggregation(
    new URLSearchParams('aggregation.alignmentPeriod=60s&aggregation.perSeriesAligner=ALIGN_SUM'),
  );
  const byNumber = parseAggregation(
    new URLSearchParams('aggregation.alignmentPeriod=60s&aggregation.perSeriesAligner=14'),
  );
  assert.deepEqual(byName, byNumber);
  assert.equal(parseAggregation(new URLSearchParams('')), undefined);
  assert.throws(() => parseAggregation(new URLSearchParams('aggregation.crossSeriesReducer=REDUCE_SUM')));
  assert.throws(() => parseAggregation(new URLSearchParams('aggregation.perSeriesAligner=ALIGN_SUM')));
  assert.throws(() => parseAggregation(new URLSearchParams('aggregation.perSeriesAligner=ALIGN_NEXT_OLDER')));
});

test('ALIGN_SUM over 2-minute windows ending at the interval end, newest first', () => {
  const agg = parseAggregation(
    new URLSearchParams('aggregation.alignmentPeriod=120s&aggregation.perSeriesAligner=ALIGN_SUM'),
  );
  assert.ok(agg);
  const [out] = aggregate([countSeries('web', '500', [1, 2, 3, 4])], agg, T0, T0 + 4 * 60_000);
  assert.deepEqual(
    out?.points?.map((p) => (p as { value: { int64Value: string } }).value.int64Value),
    ['7', '3'],
  );
});

test('ALIGN_RATE gives per-second doubles; REDUCE_SUM groups by the requested labels only', () => {
  const agg = parseAggregation(
    new URLSearchParams(
      'aggregation.alignmentPeriod=240s&aggregation.perSeriesAligner=ALIGN_RATE&aggregation.crossSeriesReducer=REDUCE_SUM&aggregation.groupByFields=resource.label.backend_target_name',
    ),
  );
  assert.ok(agg);
  const out = aggregate(
    [
      countSeries('web', '500', [60, 60, 60, 60]),
      countSeries('web', '200', [120, 0, 0, 0]),
      countSeries('api', '500', [24, 0, 0, 0]),
    ],
    agg,
    T0,
    T0 + 4 * 60_000,
  );
  const byBackend = Object.fromEntries(
    out.map((s) => [
      (s['resource'] as { labels: Record<string, string> }).labels['backend_target_name'],
      (s.points?.[0] as { value: { doubleValue: number } }).value.doubleValue,
    ]),
  );
  assert.deepEqual(byBackend, { web: 1.5, api: 0.1 });
  assert.deepEqual((out[0]?.['metric'] as { labels: object }).labels, {});
});

test('percentiles interpolate inside exponential buckets', () => {
  // scale 1, growth 2: bucket 1 = [1,2), 2 = [2,4), 3 = [4,8); 10 values in [2,4), 10 in [4,8).
  const d = {
    count: 20,
    mean: 4,
    bucketOptions: { exponentialBuckets: { numFiniteBuckets: 4, growthFactor: 2, scale: 1 } },
    bucketCounts: [0, 0, 10, 10, 0, 0],
  };
  assert.equal(percentile(d, 0.5), 4);
  assert.equal(percentile(d, 0.25), 3);
  assert.equal(percentile(d, 0.75), 6);
  assert.equal(percentile({ count: 3, mean: 12 }, 0.99), 12, 'without buckets: the mean');
});
