/**
 * A second real client, written by Google and not by us: the Python `google-cloud-compute` REST client
 * (pinned in scripts/gcp-clients-requirements.txt, installed by `npm run tools`) reads through the
 * simulator, sets named ports, inserts a firewall rule, waits for the operations and meets the error
 * cases (test/sim/python/compute_smoke.py). The script prints what it saw; this test judges it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Sim } from './http-harness';
import { startSim } from './http-harness';

const PYTHON = fileURLToPath(new URL('../../.tools/gcp-clients/venv/bin/python', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./python/compute_smoke.py', import.meta.url));

interface ErrorSeen {
  code: number;
  reason: string;
  type: string;
}

interface Seen {
  reads: {
    backendServices: string[];
    portName: string;
    timeoutSec: number;
    fingerprint: string;
    health: string[];
    healthPorts: number[];
    healthCheck: { type: string; port: number; path: string };
    firewalls: string[];
    namedPorts: [string, number][];
    members: string[];
    instances: string[];
    effectiveFirewalls: string[];
  };
  setNamedPorts: {
    first: string;
    done: string;
    operationType: string;
    error: boolean;
    namedPorts: [string, number][];
    fingerprintChanged: boolean;
  };
  firewallInsert: {
    done: string;
    operationType: string;
    targetLink: string;
    priority: number;
    direction: string;
    allowed: [string, string[]][];
  };
  errors: Record<string, ErrorSeen | null>;
}

let sim: Sim;
let seen: Seen;

before(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`npm run tools\``);
  sim = await startSim('healthy');
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, sim.server.url, sim.project], {
    timeout: 60_000,
  });
  seen = JSON.parse(stdout) as Seen;
});

after(async () => {
  await sim.close();
});

test('the Python client reads backend services, health, health checks, firewalls, groups and instances', () => {
  const r = seen.reads;
  assert.deepEqual(r.backendServices, ['web-bs']);
  assert.equal(r.portName, 'http');
  assert.equal(r.timeoutSec, 30);
  assert.ok(r.fingerprint.length > 0);
  assert.deepEqual(r.health, ['HEALTHY', 'HEALTHY', 'HEALTHY']);
  assert.deepEqual(r.healthPorts, [8080, 8080, 8080]);
  assert.deepEqual(r.healthCheck, { type: 'HTTP', port: 8080, path: '/healthz' });
  assert.deepEqual(r.firewalls, ['default-allow-internal', 'fw-allow-health-check']);
  assert.deepEqual(r.namedPorts, [['http', 8080]]);
  assert.deepEqual(r.members, ['web-ig-3h7c', 'web-ig-9kq2', 'web-ig-x4m8']);
  assert.deepEqual(r.instances, r.members);
  assert.deepEqual(r.effectiveFirewalls, r.firewalls);
});

test('setNamedPorts through *_unary: a PENDING operation, waited for until DONE, replaces the list', () => {
  const s = seen.setNamedPorts;
  assert.equal(s.first, 'PENDING');
  assert.equal(s.done, 'DONE');
  assert.equal(s.operationType, 'setNamedPorts');
  assert.equal(s.error, false);
  assert.deepEqual(s.namedPorts, [
    ['http', 8080],
    ['admin', 9000],
  ]);
  assert.equal(s.fingerprintChanged, true);
});

test('a firewall insert gets the API defaults and its operation names it', () => {
  const f = seen.firewallInsert;
  assert.equal(f.done, 'DONE');
  assert.equal(f.operationType, 'insert');
  assert.match(f.targetLink, /\/projects\/demo-project\/global\/firewalls\/python-allow-admin$/);
  assert.equal(f.priority, 1000);
  assert.equal(f.direction, 'INGRESS');
  assert.deepEqual(f.allowed, [['tcp', ['9000']]]);
});

test('errors reach the Python client as the exceptions GCP would raise', () => {
  const e = seen.errors;
  assert.deepEqual(e['getMissing'], { code: 404, reason: 'notFound', type: 'NotFound' });
  assert.deepEqual(e['insertDuplicate'], { code: 409, reason: 'alreadyExists', type: 'Conflict' });
  assert.deepEqual(e['staleFingerprint'], {
    code: 412,
    reason: 'conditionNotMet',
    type: 'PreconditionFailed',
  });
  assert.deepEqual(e['missingNetwork'], { code: 404, reason: 'notFound', type: 'NotFound' });
  assert.deepEqual(e['badGroup'], { code: 400, reason: 'invalid', type: 'BadRequest' });
});
