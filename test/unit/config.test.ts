import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../runtime/config';
import { temporalConnectionOptions } from '../../runtime/connection';

test('defaults work locally', () => {
  const c = loadConfig({});
  assert.equal(c.temporalAddress, '127.0.0.1:7233');
  assert.equal(c.temporalNamespace, 'default');
  assert.equal(c.taskQueue, 'lbmedic');
  assert.equal(c.gcpEndpoint, undefined);
  assert.equal(c.maxConcurrentReads, 20);
});

test('values come from the environment with real types', () => {
  const c = loadConfig({
    LBMEDIC_GCP_ENDPOINT: 'http://127.0.0.1:8085',
    LBMEDIC_GCP_TIMEOUT_MS: '1500',
    LBMEDIC_PROJECT: 'p',
    LBMEDIC_MAX_CONCURRENT_READS: '8',
    LBMEDIC_PROBE_LOCAL_ADDRESS: '127.200.0.1',
    LBMEDIC_PROBE_SOURCE: '10.128.0.2',
  });
  assert.equal(c.probeLocalAddress, '127.200.0.1');
  assert.equal(c.probeSource, '10.128.0.2');
  assert.equal(c.maxConcurrentReads, 8);
  assert.equal(c.gcpEndpoint, 'http://127.0.0.1:8085');
  assert.equal(c.gcpTimeoutMs, 1500);
  assert.equal(c.project, 'p');
});

test('bad values fail fast, naming every variable to fix', () => {
  assert.throws(
    () =>
      loadConfig({
        LBMEDIC_GCP_ENDPOINT: 'not a url',
        LBMEDIC_GCP_TIMEOUT_MS: '-3',
        LBMEDIC_MAX_CONCURRENT_READS: '0',
        LBMEDIC_PROBE_SOURCE: 'worker-1',
      }),
    (err: Error) =>
      err.message.includes('LBMEDIC_GCP_ENDPOINT: LBMEDIC_GCP_ENDPOINT must be a URL') &&
      err.message.includes('LBMEDIC_GCP_TIMEOUT_MS:') &&
      err.message.includes('LBMEDIC_MAX_CONCURRENT_READS:') &&
      err.message.includes('LBMEDIC_PROBE_SOURCE must be an IPv4 address'),
  );
});

test('Temporal Cloud and mTLS: an API key implies TLS; cert and key go together and are read from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-tls-'));
  try {
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
    const cloud = temporalConnectionOptions(
      loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' }),
    );
    assert.deepEqual(cloud, { address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'k' });
    const mtls = temporalConnectionOptions(
      loadConfig({ TEMPORAL_TLS_CERT: join(dir, 'c.pem'), TEMPORAL_TLS_KEY: join(dir, 'k.pem') }),
    );
    assert.deepEqual(mtls.tls, { clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
    assert.deepEqual(temporalConnectionOptions(loadConfig({})), { address: '127.0.0.1:7233' });
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CERT: join(dir, 'c.pem') }),
      /TEMPORAL_TLS_CERT: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY together/,
    );
    assert.throws(() => loadConfig({ TEMPORAL_TLS: 'yes' }), /TEMPORAL_TLS: must be true or false/);
    assert.throws(
      () =>
        temporalConnectionOptions(
          loadConfig({ TEMPORAL_TLS_CERT: join(dir, 'nope'), TEMPORAL_TLS_KEY: join(dir, 'k.pem') }),
        ),
      /cannot read TEMPORAL_TLS_CERT/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
