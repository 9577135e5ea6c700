/** README command 1: `lbmedic up` brings up Temporal, the simulator and the worker, and stops cleanly. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { freePort } from '../helpers/scenarios';

test('lbmedic up --once: embedded dev server + simulator + worker, inspection printed, clean exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-up-'));
  try {
    const [temporalPort, uiPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        'bin/lbmedic.mjs',
        'up',
        '--once',
        '--temporal-port',
        String(temporalPort),
        '--ui-port',
        String(uiPort),
        '--receiver-port',
        '0',
        '--temporal-db',
        join(dir, 'temporal.db'),
      ],
      { cwd: PROJECT_ROOT, env: { ...process.env, LBMEDIC_PROJECT: '', TEMPORAL_ADDRESS: '' } },
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
    assert.match(out, /demo-project\/web-bs: 0\/3 HEALTHY/);
    assert.match(out, /Receiver {5}http:\/\/127\.0\.0\.1:\d+\/alerts\?token=[0-9a-f]{36}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
