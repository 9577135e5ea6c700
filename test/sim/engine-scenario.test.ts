import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ScenarioError,
  loadScenarioFile,
  parseScenario,
  scenarioNames,
  scenarioPath,
} from '../../simulator/scenario';
import { scenarioNetworks } from '../../simulator/scenario-firewall-policies';

const SHIPPED = [
  'backend-timeout',
  'firewall-missing',
  'firewall-policy-blocks-probes',
  'hc-wrong-path',
  'hc-wrong-port',
  'healthy',
  'healthy-topologies',
  'https-wrong-path',
  'ilb-wrong-path',
  'keepalive-mismatch',
  'named-port-mismatch',
  'named-port-wrong',
  'neg-empty',
  'neg-hybrid',
  'neg-internet',
  'neg-serverless',
  'neg-zonal',
  'port-moved',
  'probe-blocked',
  'regional-mig',
  'shared-resources',
];

const minimal = `
name: tiny
project: demo-project
healthChecks:
  - { name: hc }
instanceGroups:
  - name: ig
    zone: us-central1-a
    instances:
      - { name: vm-1, app: { port: 8080 } }
backendServices:
  - name: bs
    healthChecks: [hc]
    backends: [{ instanceGroup: ig }]
`;

function parseError(text: string, file = 'my-scenario.yaml'): ScenarioError {
  try {
    parseScenario(text, file);
  } catch (error) {
    assert.ok(error instanceof ScenarioError, String(error));
    return error;
  }
  assert.fail('expected a ScenarioError');
}

test('every shipped scenario parses', () => {
  assert.deepEqual(scenarioNames(), SHIPPED);
  for (const name of SHIPPED) {
    const scenario = loadScenarioFile(scenarioPath(name));
    assert.equal(scenario.name, name);
    assert.equal(scenario.project, 'demo-project');
  }
});

test('defaults follow GCP', () => {
  const s = parseScenario(minimal, 'tiny.yaml');
  const hc = s.healthChecks[0];
  assert.deepEqual(
    { ...hc },
    {
      name: 'hc',
      type: 'HTTP',
      requestPath: '/',
      checkIntervalSec: 5,
      timeoutSec: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    },
  );
  const bs = s.backendServices[0];
  assert.equal(bs?.timeoutSec, 30);
  assert.equal(bs?.protocol, 'HTTP');
  assert.equal(bs?.loadBalancingScheme, 'EXTERNAL_MANAGED');
  assert.equal(bs?.portName, 'http');
  assert.deepEqual(s.instanceGroups[0]?.instances[0]?.app, {
    port: 8080,
    paths: ['/'],
    status: 200,
    latencyMs: 20,
    keepaliveSec: 620,
    running: true,
  });
  assert.equal(s.network, 'default');
  const fw = parseScenario(
    `name: f\nproject: demo-project\nfirewalls: [{ name: fw, allowed: [{ IPProtocol: tcp, ports: [8080] }] }]\n`,
    'f.yaml',
  ).firewalls[0];
  assert.equal(fw?.priority, 1000);
  assert.equal(fw?.direction, 'INGRESS');
  assert.deepEqual(fw?.allowed, [{ IPProtocol: 'tcp', ports: ['8080'] }]);
});

test('a type error names the file, the line and the path', () => {
  const error = parseError(minimal.replace('port: 8080', 'port: eighty'));
  assert.match(error.message, /my-scenario\.yaml:10:\d+ instanceGroups\[0\]\.instances\[0\]\.app\.port: /);
  assert.equal(error.issues[0]?.path, 'instanceGroups[0].instances[0].app.port');
});

test('an unknown key is reported at its object', () => {
  const error = parseError(minimal.replace('- { name: hc }', '- { name: hc, intervalSec: 5 }'));
  assert.match(error.message, /my-scenario\.yaml:5:\d+ healthChecks\[0\]: .*intervalSec/);
});

test('a missing required field is reported', () => {
  const error = parseError(minimal.replace('zone: us-central1-a', 'managed: true'));
  assert.ok(
    error.issues.some((i) => i.path === 'instanceGroups[0].zone'),
    error.message,
  );
});

test('a dangling reference names the path', () => {
  const error = parseError(minimal.replace('healthChecks: [hc]', 'healthChecks: [web-hc]'));
  assert.match(error.message, /backendServices\[0\]\.healthChecks\[0\]: no health check named "web-hc"/);
});

test('GCP rules: timeout above interval, health checks on serverless NEGs, both allow and deny', () => {
  assert.match(
    parseError(minimal.replace('{ name: hc }', '{ name: hc, timeoutSec: 10 }')).message,
    /healthChecks\[0\]\.timeoutSec/,
  );
  const serverless = `
name: s
project: demo-project
healthChecks: [{ name: hc }]
networkEndpointGroups: [{ name: neg, networkEndpointType: SERVERLESS, region: us-central1, cloudRun: { service: api } }]
backendServices: [{ name: bs, healthChecks: [hc], backends: [{ neg: neg }] }]
`;
  assert.match(
    parseError(serverless).message,
    /backendServices\[0\]\.healthChecks: a backend service with a serverless NEG/,
  );
  const both = `name: f\nproject: demo-project\nfirewalls: [{ name: fw, allowed: [{ IPProtocol: tcp }], denied: [{ IPProtocol: udp }] }]\n`;
  assert.match(parseError(both).message, /firewalls\[0\]: a firewall rule needs either allowed or denied/);
  assert.match(
    parseError(minimal.replace('name: vm-1', 'name: VM_1')).message,
    /instances\[0\]\.name: must be a GCP resource name/,
  );
});

test('YAML syntax errors name the file and line', () => {
  const error = parseError('name: x\nproject: [demo\n', 'broken.yaml');
  assert.match(error.message, /broken\.yaml:\d+:\d+/);
});

test('a missing file is a ScenarioError naming it', () => {
  assert.throws(() => loadScenarioFile('/nonexistent/scenario.yaml'), /\/nonexistent\/scenario\.yaml/);
});

test('networks: subnetworks and the worker name them like every resource; their addresses are IPv4', () => {
  const regional = `
name: n
project: demo-project
subnetworks:
  - { name: proxy-only, region: us-central1, network: shared-vpc, ipCidrRange: 10.129.0.0/23, purpose: REGIONAL_MANAGED_PROXY }
worker: { network: ops-vpc }
`;
  // Without a networks list, every network a resource names exists.
  assert.deepEqual(
    scenarioNetworks(parseScenario(regional, 'n.yaml')).map((n) => n.name),
    ['default', 'shared-vpc', 'ops-vpc'],
  );
  // With one, each name must be in it.
  const listed = `${regional}networks: [{ name: default }]\n`;
  const message = parseError(listed).message;
  assert.match(message, /subnetworks\[0\]\.network: no network named "shared-vpc" in networks/);
  assert.match(message, /worker\.network: no network named "ops-vpc" in networks/);
  // Firewall ranges may be IPv6; a subnetwork's primary range and the worker's address may not.
  assert.match(
    parseError(regional.replace('10.129.0.0/23', '2600:2d00:1:b029::/64')).message,
    /subnetworks\[0\]\.ipCidrRange: must be an IPv4 CIDR/,
  );
  assert.match(
    parseError(regional.replace('{ network: ops-vpc }', "{ ipAddress: '2600:2d00::2' }")).message,
    /worker\.ipAddress: must be an IPv4 address/,
  );
});
