import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FilterSyntaxError,
  matchesObject,
  parseFilter,
  requiredComparisons,
} from '../../simulator/log-filter';

const entry = {
  logName: 'projects/p1/logs/requests',
  severity: 'ERROR',
  timestamp: '2026-11-23T01:53:47.117Z',
  resource: { type: 'http_load_balancer', labels: { backend_service_name: 'web-bs', zone: 'global' } },
  httpRequest: { status: 502, requestSize: '123', latency: '0.002s' },
  jsonPayload: {
    statusDetails: 'failed_to_pick_backend',
    '@type': 'type.googleapis.com/x.LoadBalancerLogEntry',
  },
  labels: { 'compute.googleapis.com/resource_name': 'vm-1' },
};

const match = (filter: string, obj: unknown = entry, caseSensitive = false): boolean =>
  matchesObject(parseFilter(filter), obj, { caseSensitive });

test('equality on dotted paths, quoted and bare values', () => {
  assert.equal(match('resource.type="http_load_balancer"'), true);
  assert.equal(match('resource.type = http_load_balancer'), true);
  assert.equal(match('resource.labels.backend_service_name="other"'), false);
  assert.equal(match('jsonPayload.statusDetails="failed_to_pick_backend"'), true);
  assert.equal(match('labels."compute.googleapis.com/resource_name"="vm-1"'), true);
  assert.equal(match('jsonPayload."@type":"LoadBalancerLogEntry"'), true);
});

test('empty filter matches everything', () => {
  assert.equal(parseFilter('   '), undefined);
  assert.equal(match(''), true);
});

test('numbers compare numerically, int64 strings too', () => {
  assert.equal(match('httpRequest.status=502'), true);
  assert.equal(match('httpRequest.status>=500'), true);
  assert.equal(match('httpRequest.status<500'), false);
  assert.equal(match('httpRequest.requestSize > 99'), true, '"123" > 99 numerically, not lexically');
});

test('timestamps compare as instants', () => {
  assert.equal(match('timestamp >= "2026-11-23T01:00:00Z"'), true);
  assert.equal(match('timestamp > "2026-11-23T01:53:47.117Z"'), false);
  assert.equal(match('timestamp >= "2026-11-23T02:53:47+01:00"'), true, 'offsets are honoured');
  assert.equal(match('timestamp < "2026-11-24"'), true);
});

test('severity compares by level', () => {
  assert.equal(match('severity >= WARNING'), true);
  assert.equal(match('severity > ERROR'), false);
  assert.equal(match('severity = "error"'), true, 'Logging string comparisons ignore case');
});

test('has (:) is a substring match, :* tests presence', () => {
  assert.equal(match('jsonPayload.statusDetails:"pick_backend"'), true);
  assert.equal(match('jsonPayload.statusDetails:timeout'), false);
  assert.equal(match('httpRequest.latency:*'), true);
  assert.equal(match('httpRequest.remoteIp:*'), false);
});

test('!= is NOT =, so a missing field matches it', () => {
  assert.equal(match('jsonPayload.statusDetails != "backend_timeout"'), true);
  assert.equal(match('jsonPayload.missing != "x"'), true);
  assert.equal(match('jsonPayload.missing = "x"'), false);
});

test('AND, implicit AND, OR, NOT, -, parentheses', () => {
  assert.equal(match('resource.type="http_load_balancer" AND httpRequest.status=502'), true);
  assert.equal(match('resource.type="http_load_balancer" httpRequest.status=200'), false);
  assert.equal(match('httpRequest.status=200 OR httpRequest.status=502'), true);
  assert.equal(match('NOT httpRequest.status=502'), false);
  assert.equal(match('-httpRequest.status=502'), false);
  assert.equal(
    match('(httpRequest.status=200 OR severity=ERROR) AND resource.type="http_load_balancer"'),
    true,
  );
  assert.equal(match('jsonPayload.statusDetails=("backend_timeout" OR "failed_to_pick_backend")'), true);
});

test('OR binds tighter than AND, as in the Logging query language', () => {
  // (status=200 OR severity=ERROR) AND status=200 → false, whereas SQL precedence would say true.
  assert.equal(match('httpRequest.status=200 OR severity=ERROR AND httpRequest.status=200'), false);
  const node = parseFilter('a=1 OR b=2 AND c=3');
  assert.equal(node?.kind, 'and');
});

test('regular expressions and functions', () => {
  assert.equal(match('jsonPayload.statusDetails =~ "^failed_"'), true);
  assert.equal(match('jsonPayload.statusDetails !~ "^failed_"'), false);
  assert.equal(match('resource.type = starts_with("http_")'), true);
  assert.equal(match('resource.type = one_of("a", "http_load_balancer")'), true);
  assert.equal(match('resource.type = ends_with("x")'), false);
});

test('case-sensitive mode for Monitoring and Compute', () => {
  assert.equal(match('resource.type="HTTP_LOAD_BALANCER"', entry, true), false);
  assert.equal(match('resource.type="HTTP_LOAD_BALANCER"', entry, false), true);
});

test('arrays fan out: any element may match', () => {
  const fw = {
    sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
    allowed: [{ IPProtocol: 'tcp', ports: ['80'] }],
  };
  assert.equal(match('sourceRanges="130.211.0.0/22"', fw), true);
  assert.equal(match('allowed.ports="80"', fw), true);
  assert.equal(match('allowed.ports="81"', fw), false);
});

test('requiredComparisons finds the AND-ed comparisons only', () => {
  const node = parseFilter(
    'metric.type="x" AND (resource.type="a" OR resource.type="b") AND NOT metric.labels.c=1',
  );
  assert.deepEqual(
    requiredComparisons(node).map((c) => c.path.join('.')),
    ['metric.type'],
  );
});

test('syntax errors name the position', () => {
  const cases: [string, number][] = [
    ['resource.type="x', 15],
    ['resource.type="x" AND', 22],
    ['(resource.type="x"', 19],
    ['resource.type="x")', 18],
    ['resource.type', 14],
    ['"just text"', 1],
    ['resource.type = !x', 17],
  ];
  for (const [filter, column] of cases) {
    assert.throws(
      () => parseFilter(filter),
      (err: unknown) => {
        assert.ok(err instanceof FilterSyntaxError, `${filter}: ${String(err)}`);
        assert.equal(err.column, column, `${filter}: ${err.message}`);
        assert.match(err.message, new RegExp(`line 1, column ${column}`));
        return true;
      },
    );
  }
});
