import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../worker/config';

test('defaults work locally', () => {
  const c = loadConfig({});
  assert.equal(c.temporalAddress, '127.0.0.1:7233');
  assert.equal(c.temporalNamespace, 'default');
  assert.equal(c.taskQueue, 'lbmedic');
  assert.equal(c.gcpEndpoint, undefined);
});

test('values come from the environment with real types', () => {
  const c = loadConfig({
    LBMEDIC_GCP_ENDPOINT: 'http://127.0.0.1:8085',
    LBMEDIC_GCP_TIMEOUT_MS: '1500',
    LBMEDIC_PROJECT: 'p',
  });
  assert.equal(c.gcpEndpoint, 'http://127.0.0.1:8085');
  assert.equal(c.gcpTimeoutMs, 1500);
  assert.equal(c.project, 'p');
});

test('bad values fail fast, naming every variable to fix', () => {
  assert.throws(
    () => loadConfig({ LBMEDIC_GCP_ENDPOINT: 'not a url', LBMEDIC_GCP_TIMEOUT_MS: '-3' }),
    (err: Error) =>
      err.message.includes('LBMEDIC_GCP_ENDPOINT: LBMEDIC_GCP_ENDPOINT must be a URL') &&
      err.message.includes('LBMEDIC_GCP_TIMEOUT_MS:'),
  );
});
