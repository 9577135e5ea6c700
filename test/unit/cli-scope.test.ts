/**
 * Against Google Cloud (no LBMEDIC_GCP_ENDPOINT) the worker, the receiver and `lbmedic up` refuse to
 * start without a scope, through the real command, before they touch Temporal or listen: each says
 * what to set and exits 1. `--scope` is checked like LBMEDIC_SCOPE.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLbmedic } from '../helpers/lbmedic';

/** Google Cloud, a project, credentials for the receiver; Temporal where nothing listens. */
const cloud: NodeJS.ProcessEnv = {
  ...process.env,
  LBMEDIC_GCP_ENDPOINT: '',
  LBMEDIC_SCOPE: '',
  LBMEDIC_PROJECT: 'shop-prod',
  LBMEDIC_RECEIVER_TOKEN: 'cli-scope-token-0123456789',
  TEMPORAL_ADDRESS: '127.0.0.1:9',
};

test('worker, receiver and up refuse to start against Google Cloud without LBMEDIC_SCOPE', async () => {
  const runs = await Promise.all(
    [['worker'], ['receiver', '--port', '0'], ['up', '--once']].map((args) =>
      runLbmedic(args, { env: cloud, timeoutMs: 30_000 }),
    ),
  );
  for (const r of runs) {
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /no scope: against Google Cloud, set LBMEDIC_SCOPE to the projects lbmedic may act on/,
    );
    assert.doesNotMatch(r.stdout, /listening|lbmedic is up|lbmedic worker on/);
  }
});

test('a wrong scope is refused the same way, naming the variable or the flag', async () => {
  const [env, flag] = await Promise.all([
    runLbmedic(['worker'], { env: { ...cloud, LBMEDIC_SCOPE: 'Shop Prod' }, timeoutMs: 30_000 }),
    runLbmedic(['up', '--once', '--scope', '*'], { env: cloud, timeoutMs: 30_000 }),
  ]);
  assert.equal(env.code, 1);
  assert.match(env.stderr, /LBMEDIC_SCOPE: is not a project id/);
  assert.equal(flag.code, 2, 'a usage error');
  assert.match(flag.stderr, /--scope must name projects: a scope of every project is no scope/);
});
