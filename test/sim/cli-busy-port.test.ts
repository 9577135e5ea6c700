/**
 * `lbmedic sim --port P` on a busy port: exits 1 within seconds, naming the port, instead of printing
 * EADDRINUSE and then living on (the simulator's instance apps used to keep the process alive).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyPort, runLbmedic } from '../helpers/lbmedic';

test('lbmedic sim --port on a busy port exits non-zero, naming the port', async () => {
  const held = await busyPort();
  try {
    const r = await runLbmedic(['sim', '--scenario', 'port-moved', '--port', String(held.port)], {
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 1, `exit code (null: still running after 30 s)\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`port ${held.port} is already in use.*--port`));
    assert.doesNotMatch(r.stdout, /listening/);
  } finally {
    await held.close();
  }
});
