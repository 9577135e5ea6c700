/**
 * TLS and HTTP/2 as the health checker and the load balancer meet them: every health-check protocol
 * against apps speaking HTTP, HTTPS and HTTP2 (real probes against real servers on loopback), and what
 * a backend service's protocol does to requests for each app protocol.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { parseScenario } from '../../simulator/scenario';
import type { HealthCheck, HealthCheckType } from '../../simulator/model';
import { sendProbe } from '../../simulator/probe-protocols';
import { selfSignedIdentity } from '../../simulator/tls';
import { World } from '../../simulator/world';

const PROJECT = 'demo-project';

/** Three VMs, one per app protocol, each behind its own backend service of `bsProtocol`. */
function scenario(bsProtocol: string, hcType: HealthCheckType): string {
  const apps = ['HTTP', 'HTTPS', 'HTTP2'];
  return [
    'name: tls-matrix',
    `project: ${PROJECT}`,
    'healthChecks:',
    `  - { name: hc, type: ${hcType}, port: 8443, requestPath: /healthz }`,
    'firewalls:',
    '  - { name: allow-lb, sourceRanges: [35.191.0.0/16, 130.211.0.0/22], allowed: [{ IPProtocol: tcp }] }',
    'instanceGroups:',
    ...apps.flatMap((p) => [
      `  - name: ${p.toLowerCase()}-ig`,
      '    zone: us-central1-a',
      '    namedPorts: [{ name: app, port: 8443 }]',
      `    instances: [{ name: ${p.toLowerCase()}-vm, app: { port: 8443, protocol: ${p}, paths: [/, /healthz] } }]`,
    ]),
    'backendServices:',
    ...apps.flatMap((p) => [
      `  - name: ${p.toLowerCase()}-bs`,
      `    protocol: ${bsProtocol}`,
      '    portName: app',
      '    healthChecks: [hc]',
      `    backends: [{ instanceGroup: ${p.toLowerCase()}-ig }]`,
      '    traffic: { requestsPerSecond: 1 }',
    ]),
  ].join('\n');
}

async function world(t: TestContext, bsProtocol: string, hcType: HealthCheckType): Promise<World> {
  const w = new World({ timeScale: 0.01, seed: 5 });
  t.after(() => w.stop());
  await w.load(parseScenario(scenario(bsProtocol, hcType), 'tls-matrix.yaml'));
  return w;
}

function states(w: World): Record<string, string> {
  const health = w.projects.get(PROJECT)?.health ?? new Map();
  return Object.fromEntries([...health].map(([key, r]) => [key.split('/')[1] ?? key, r.state]));
}

function outcomes(w: World): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const e of w.logEntries(PROJECT)) {
    if (e.httpRequest === undefined) continue;
    const bs = e.resource.labels['backend_service_name'] ?? '';
    (out[bs] ??= new Set()).add(`${e.httpRequest.status} ${String(e.jsonPayload?.statusDetails)}`);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
}

test('the simulated apps present a self-signed certificate', () => {
  const { cert } = selfSignedIdentity();
  const x509 = new X509Certificate(cert);
  assert.equal(x509.subject, 'CN=lbmedic-sim');
  assert.equal(x509.issuer, 'CN=lbmedic-sim');
  assert.ok(x509.verify(x509.publicKey), 'self-signed');
});

// Which app each health-check type passes on: TCP connects to anything, SSL completes a handshake with
// either TLS app, HTTPS speaks HTTP/1.1 over TLS (the HTTP2 app offers it too), HTTP2 needs h2.
const PASSES: Record<Exclude<HealthCheckType, 'GRPC'>, string[]> = {
  TCP: ['http-vm', 'https-vm', 'http2-vm'],
  SSL: ['https-vm', 'http2-vm'],
  HTTP: ['http-vm'],
  HTTPS: ['https-vm', 'http2-vm'],
  HTTP2: ['http2-vm'],
};

for (const [type, passing] of Object.entries(PASSES)) {
  test(`a ${type} health check passes on ${passing.join(', ')} only`, async (t) => {
    const w = await world(t, 'HTTP', type as HealthCheckType);
    const expected = Object.fromEntries(
      ['http-vm', 'https-vm', 'http2-vm'].map((vm) => [vm, passing.includes(vm) ? 'HEALTHY' : 'UNHEALTHY']),
    );
    assert.deepEqual(states(w), expected);
  });
}

test('HTTPS and HTTP2 probes read the path and the status like HTTP ones', async (t) => {
  const w = await world(t, 'HTTP', 'TCP');
  const project = w.projects.get(PROJECT);
  assert.ok(project);
  const ip = (name: string) => project.instances.get(name)?.networkIP ?? '';
  const check = (type: HealthCheckType, requestPath: string): HealthCheck => ({
    id: '1',
    name: 'probe',
    type,
    checkIntervalSec: 5,
    timeoutSec: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
    details: { port: 8443, requestPath },
    creationTimestamp: '',
  });
  const https = await sendProbe(check('HTTPS', '/health'), ip('https-vm'), 8443, 2000);
  assert.deepEqual([https.ok, https.text], [false, 'HTTP response: 404, Error: Probe failed']);
  const h2 = await sendProbe(check('HTTP2', '/healthz'), ip('http2-vm'), 8443, 2000);
  assert.deepEqual([h2.ok, h2.text], [true, 'HTTP response: 200, Success']);
  const h2OnH1 = await sendProbe(check('HTTP2', '/healthz'), ip('https-vm'), 8443, 2000);
  assert.equal(h2OnH1.ok, false, h2OnH1.text);
  const grpc = await sendProbe(check('GRPC', '/'), ip('http2-vm'), 8443, 2000);
  assert.equal(grpc.ok, false);
});

// Backends pass a TCP check either way; what the backend service's protocol makes of each app.
const REQUESTS: Record<string, Record<string, string[]>> = {
  HTTP: {
    'http-bs': ['200 response_sent_by_backend'],
    'https-bs': ['502 backend_connection_closed_before_data_sent_to_client'],
    'http2-bs': ['502 backend_connection_closed_before_data_sent_to_client'],
  },
  HTTPS: {
    'http-bs': ['502 failed_to_connect_to_backend'],
    'https-bs': ['200 response_sent_by_backend'],
    'http2-bs': ['200 response_sent_by_backend'],
  },
  HTTP2: {
    'http-bs': ['502 failed_to_connect_to_backend'],
    'https-bs': ['502 failed_to_negotiate_alpn'],
    'http2-bs': ['200 response_sent_by_backend'],
  },
};

for (const [protocol, expected] of Object.entries(REQUESTS)) {
  test(`a backend service speaking ${protocol} to HTTP, HTTPS and HTTP2 apps`, async (t) => {
    const w = await world(t, protocol, 'TCP');
    assert.ok(Object.values(states(w)).every((s) => s === 'HEALTHY'));
    assert.deepEqual(outcomes(w), expected);
  });
}
