/**
 * The Temporal dev server goes away mid-remediation and comes back on its persisted SQLite database
 * (the way `lbmedic up` runs it, runtime/dev-server.ts): the worker process and the client ride it out,
 * and the remediation finishes with every change made once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../runtime/dev-server';
import type { RemediationResult } from '../../workflows/remediation';
import { crashWorld, holdNextRequest, operationCounts, type CrashWorld } from '../helpers/crash';
import { freePort } from '../helpers/scenarios';
import { FIX_OPERATIONS } from '../helpers/port-moved';
import { policyDir, removeDir } from '../helpers/stack';

const tmp = mkdtempSync(join(tmpdir(), 'lbmedic-restart-'));
const dir = policyDir();
let server: DevServer | undefined;
let connection: Connection | undefined;
let world: CrashWorld | undefined;
after(async () => {
  await world?.stop();
  await connection?.close();
  await server?.stop();
  removeDir(tmp);
  removeDir(dir);
});

test(
  'the Temporal server restarts on its database during apply: the remediation finishes, each change once',
  { timeout: 240_000 },
  async () => {
    const opts = { port: await freePort(), uiPort: await freePort(), dbFile: join(tmp, 'temporal.db') };
    server = await startDevServer(opts);
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    world = await crashWorld({ address: server.address, client }, 'port-moved', dir);
    const { sim, fleet, handle } = world;

    // The second change (the named port) is held 5 s at "Google"; the server stops meanwhile, so the
    // worker reports its result to a server that is not there, and comes back 3 s later.
    const held = await holdNextRequest(sim, 5_000, {
      service: 'compute',
      method: 'POST',
      path: 'setNamedPorts$',
    });
    fleet.start();
    await world.alert();
    await fleet.waitFor(held.arrived());
    await server.stop();
    await new Promise((r) => setTimeout(r, 8_000));
    server = await startDevServer(opts);

    const result = (await handle.result()) as RemediationResult;
    assert.equal(result.outcome, 'REMEDIATED', `${result.summary}\n${fleet.outputs()}`);
    assert.deepEqual(await operationCounts(sim), FIX_OPERATIONS);
    assert.equal(fleet.workers.length, 1, 'the same worker process throughout');
    assert.equal(fleet.workers[0]?.child.exitCode, null, `the worker is still running\n${fleet.outputs()}`);
  },
);
