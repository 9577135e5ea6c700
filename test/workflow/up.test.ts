/**
 * README command 1: `lbmedic up` brings up Temporal, the simulator and the worker, and stops cleanly;
 * a busy port makes it stop again what it had started and exit, naming the port.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { busyPort, portInUse, runLbmedic } from '../helpers/lbmedic';
import { freePort } from '../helpers/scenarios';
import { upFlags } from '../helpers/lbmedic-process';

test('lbmedic up --once: embedded dev server + simulator + worker, inspection printed, clean exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-up-'));
  try {
    const { args, uiPort } = await upFlags(dir);
    const child = spawn(
      process.execPath,
      ['bin/lbmedic.mjs', 'up', '--once', ...args, '--scope', 'demo-project,shop-prod'],
      {
        cwd: PROJECT_ROOT,
        // The health watch from configuration, as `lbmedic worker` applies it.
        env: { ...process.env, LBMEDIC_PROJECT: '', TEMPORAL_ADDRESS: '', LBMEDIC_WATCH_EVERY: '30s' },
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(`Temporal UI  http://127\\.0\\.0\\.1:${uiPort}`));
    assert.match(out, /GCP {10}simulator at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /demo-project\/web-bs: 3\/3 HEALTHY/, 'the default scenario is healthy');
    assert.match(out, /Receiver {5}http:\/\/127\.0\.0\.1:\d+\/alerts\?token=[0-9a-f]{36}/);
    assert.match(
      out,
      /Scope {8}projects demo-project, shop-prod; backend services all; networks any/,
      '--scope',
    );
    assert.ok(out.includes(`Receiver log ${join(dir, 'receiver.log')}`), out);
    assert.match(out, /Watch {8}health watch of demo-project every 30s \(created\)/);
    assert.match(out, /Watch {8}health watch of shop-prod every 30s \(created\)/);
    assert.ok(existsSync(join(dir, 'receiver.log')), 'the receiver log is kept beside the state file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const flag of ['--sim-port', '--temporal-port', '--ui-port', '--receiver-port']) {
  test(`lbmedic up ${flag} on a busy port: stops what it started and exits non-zero, naming the port`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbmedic-up-busy-'));
    const held = await busyPort();
    try {
      const ports: Record<string, number> = {
        '--sim-port': await freePort(),
        '--temporal-port': await freePort(),
        '--ui-port': await freePort(),
        '--receiver-port': await freePort(),
        [flag]: held.port,
      };
      const state = join(dir, 'up.json');
      const r = await runLbmedic(
        [
          'up',
          ...Object.entries(ports).flatMap(([f, p]) => [f, String(p)]),
          '--temporal-db',
          join(dir, 'temporal.db'),
          '--state',
          state,
        ],
        { env: { ...process.env, LBMEDIC_PROJECT: '', TEMPORAL_ADDRESS: '' }, timeoutMs: 60_000 },
      );
      assert.equal(r.code, 1, `exit code (null: still running after 60 s)\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`port ${held.port} is already in use.*${flag}`));
      assert.doesNotMatch(r.stdout, /lbmedic is up/);
      assert.equal(existsSync(state), false, 'no state file for an up that never came up');
      for (const [f, p] of Object.entries(ports)) {
        if (f !== flag) assert.equal(await portInUse(p), false, `${f} ${p} was released`);
      }
    } finally {
      await held.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
