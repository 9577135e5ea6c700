/**
 * The cluster tests' Temporal: one real cluster per test file (runtime/cluster.ts: PostgreSQL, the
 * four Temporal services as processes of their own), in a temporary folder on free ports, built by
 * `npm run test:cluster` beforehand. lbmedic runs on it unchanged: `lbmedic worker` and
 * `lbmedic receiver` processes given TEMPORAL_ADDRESS only.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { builtClusterBinaries } from '../../runtime/cluster-build';
import { clusterPortsFrom, startCluster, type Cluster, type ClusterPorts } from '../../runtime/cluster';
import { PROJECT_ROOT } from '../../runtime/temporal-binaries';
import { removeDir } from '../helpers/stack';

export interface TestCluster {
  cluster: Cluster;
  client: Client;
  /** What test/helpers/crash.ts takes: the address for the workers, a client for the test. */
  env: { address: string; client: Client };
  stop(): Promise<void>;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Eleven consecutive free ports below 32768 (Temporal keeps membership ports in a SMALLINT column,
 * so the kernel's ephemeral ports will not do), from a random base so that clusters of files run at
 * the same time do not meet.
 */
async function freePorts(): Promise<ClusterPorts> {
  for (;;) {
    const ports = clusterPortsFrom(20_000 + Math.floor(Math.random() * 12_000));
    if ((await Promise.all(Object.values(ports).map(canListen))).every(Boolean)) return ports;
  }
}

export async function startTestCluster(opts: { ui?: boolean } = {}): Promise<TestCluster> {
  const binaries = builtClusterBinaries();
  if (!binaries) throw new Error('the cluster binaries are not built: run npm run cluster -- --build');
  const dir = mkdtempSync(join(tmpdir(), 'lbmedic-cluster-'));
  // PostgreSQL runs as another user when we are root: it must reach its data folder below this one.
  chmodSync(dir, 0o755);
  let cluster: Cluster;
  try {
    cluster = await startCluster({ dir, ports: await freePorts(), binaries, ui: opts.ui ?? false });
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  const connection = await Connection.connect({ address: cluster.address });
  const client = new Client({ connection });
  return {
    cluster,
    client,
    env: { address: cluster.address, client },
    async stop() {
      await connection.close();
      await cluster.stop();
      removeDir(dir);
    },
  };
}

/**
 * POSTs `body` as JSON to the receiver's webhook with its token; resolves with the status. A request
 * sent on a kept-alive connection just as the receiver closes it for idleness fails before it is
 * read ("other side closed"; it happened at load 19): it is sent again, as Cloud Monitoring delivers
 * again when a delivery fails. A receiver that is down still fails it.
 */
export async function postAlert(receiverUrl: string, token: string, body: unknown): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${receiverUrl}/alerts?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      return res.status;
    } catch (err) {
      const socketClosed = (err as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET';
      if (!socketClosed || attempt >= 3) throw err;
    }
  }
}

/** `lbmedic <args>` run to completion against `env` (a CLI command); its stdout, or it throws. */
export function lbmedicCli(args: string[], env: Record<string, string>): string {
  const res = spawnSync(process.execPath, ['bin/lbmedic.mjs', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`lbmedic ${args.join(' ')}: exit ${res.status}\n${res.stderr}`);
  return res.stdout;
}
