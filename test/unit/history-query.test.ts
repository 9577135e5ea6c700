import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildHistoryQuery, parseSince } from '../../cli/history';
import { renderStatus } from '../../cli/status';

test('--since takes minutes, hours, days and weeks', () => {
  assert.equal(parseSince('90m'), 90 * 60_000);
  assert.equal(parseSince('36h'), 36 * 3_600_000);
  assert.equal(parseSince('7d'), 7 * 86_400_000);
  assert.equal(parseSince('2w'), 14 * 86_400_000);
  assert.throws(() => parseSince('yesterday'), /--since must look like 90m, 36h, 7d or 2w/);
  assert.throws(() => parseSince('7'), /--since/);
});

test('the visibility query filters on the workflow type, close time and lbmedic search attributes', () => {
  const closedAfter = new Date('2026-11-17T00:00:00Z');
  assert.equal(
    buildHistoryQuery({ closedAfter }),
    "WorkflowType = 'remediationWorkflow' AND CloseTime > '2026-11-17T00:00:00.000Z'",
  );
  assert.equal(
    buildHistoryQuery({
      closedAfter,
      outcome: 'REMEDIATED',
      project: 'demo-project',
      backendService: 'web-bs',
      rootCause: 'BACKEND_TIMEOUT',
      approver: 'alice@example.com',
    }),
    "WorkflowType = 'remediationWorkflow' AND CloseTime > '2026-11-17T00:00:00.000Z'" +
      " AND LbmedicOutcome = 'REMEDIATED' AND LbmedicProject = 'demo-project'" +
      " AND LbmedicBackendService = 'web-bs' AND LbmedicRootCause = 'BACKEND_TIMEOUT'" +
      " AND LbmedicApprover = 'alice@example.com'",
  );
});

test('a value that could break out of the quotes is refused', () => {
  assert.throws(
    () => buildHistoryQuery({ closedAfter: new Date(), project: "p' OR WorkflowType != 'x" }),
    /--project .* has characters a GCP name cannot have/,
  );
});

test('status renders headline fields, then unknown fields generically', () => {
  const text = renderStatus({
    workflowId: 'lbmedic/p/bs',
    project: 'p',
    backendService: 'bs',
    phase: 'VERIFYING',
    incidents: [],
    applied: ['healthCheck/web-hc', 'firewall/allow-lb'],
    verification: { healthy: 2, total: 3 },
    diagnosis: {
      verdict: 'FAULTS_FOUND',
      findings: [{ cause: 'BACKEND_TIMEOUT', summary: 'p95 latency 42s above timeoutSec 30' }],
    },
    ignored: [],
  });
  assert.equal(
    text,
    [
      'lbmedic/p/bs',
      '  project          p',
      '  backend service  bs',
      '  phase            VERIFYING',
      '  outcome          -',
      '  applied          healthCheck/web-hc, firewall/allow-lb',
      '  verification     {"healthy":2,"total":3}',
      '  diagnosis',
      '    FAULTS_FOUND',
      '    ✗ BACKEND_TIMEOUT: p95 latency 42s above timeoutSec 30',
    ].join('\n'),
  );
});
