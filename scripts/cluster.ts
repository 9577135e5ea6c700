/**
 * `npm run cluster`: a Temporal cluster on this machine for lbmedic (runtime/cluster.ts), built once
 * from the Go module proxy (runtime/cluster-build.ts), its data in .cluster/ (git-ignored) and reused
 * by the next start. Runs in the foreground until Ctrl-C.
 *
 *   npm run cluster                      build if needed, start, print where everything is
 *   npm run cluster -- --down            stop the cluster another terminal started
 *   npm run cluster -- --build           build the binaries only
 *   options: --port-base N (17233), --shards N (4; fixed when the data is created), --namespace NS
 *   LBMEDIC_CLUSTER_DIR moves the data folder (default .cluster/ in the project).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildClusterBinaries, CLUSTER_VERSIONS } from '../runtime/cluster-build';
import {
  clusterPortsFrom,
  DEFAULT_CLUSTER_DIR,
  DEFAULT_CLUSTER_PORT_BASE,
  startCluster,
  type Cluster,
  type ClusterPart,
} from '../runtime/cluster';
import { PROJECT_ROOT } from '../runtime/temporal-binaries';

const { values } = parseArgs({
  options: {
    down: { type: 'boolean' },
    build: { type: 'boolean' },
    'port-base': { type: 'string' },
    shards: { type: 'string' },
    namespace: { type: 'string' },
  },
});

const dir = process.env.LBMEDIC_CLUSTER_DIR || DEFAULT_CLUSTER_DIR;
const runningFile = `${dir}/running.json`;
const shown = (path: string) => (path.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, path) || '.' : path);

interface Running {
  pid: number;
  parts: Partial<Record<ClusterPart, number>>;
  address: string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

/** Stops the cluster whose supervisor wrote running.json: it stops its parts in order and exits. */
async function down(): Promise<number> {
  if (!existsSync(runningFile)) {
    console.log(`no cluster is running from ${shown(dir)}`);
    return 0;
  }
  const running = JSON.parse(readFileSync(runningFile, 'utf8')) as Running;
  if (alive(running.pid)) {
    console.log(`stopping the cluster on ${running.address} (supervisor pid ${running.pid}) …`);
    process.kill(running.pid, 'SIGTERM');
    if (await gone([running.pid], 120_000)) {
      console.log('stopped');
      return 0;
    }
  }
  // The supervisor is gone (killed hard?): stop what it left running, PostgreSQL last.
  const left = Object.entries(running.parts).filter(([, pid]) => pid !== undefined && alive(pid));
  for (const [part, pid] of left.sort(([a], [b]) => Number(a === 'postgres') - Number(b === 'postgres'))) {
    console.log(`stopping ${part} (pid ${pid}), left behind by supervisor ${running.pid}`);
    process.kill(pid!, part === 'postgres' ? 'SIGINT' : 'SIGTERM');
    if (!(await gone([pid!], 30_000))) process.kill(pid!, 'SIGKILL');
  }
  rmSync(runningFile, { force: true });
  console.log('stopped');
  return 0;
}

function describe(cluster: Cluster): string {
  const p = cluster.ports;
  const rows: [string, string, string, ClusterPart][] = [
    ['frontend', cluster.address, 'gRPC: TEMPORAL_ADDRESS', 'frontend'],
    ['history', `127.0.0.1:${p.history}`, `${cluster.historyShards} shards`, 'history'],
    ['matching', `127.0.0.1:${p.matching}`, '', 'matching'],
    ['worker', `127.0.0.1:${p.worker}`, "Temporal's internal worker", 'worker'],
    ['PostgreSQL', `127.0.0.1:${p.postgres}`, 'temporal, temporal_visibility', 'postgres'],
    ['Web UI', cluster.uiUrl ?? '', '', 'ui'],
  ];
  const width = (i: 0 | 1 | 2) => Math.max(...rows.map((r) => r[i].length));
  const table = rows
    .map(
      ([name, where, note, part]) =>
        `  ${name.padEnd(width(0))}  ${where.padEnd(width(1))}  ${note.padEnd(width(2))}  log ${shown(cluster.logFile(part))}`,
    )
    .join('\n');
  const ns = cluster.namespace === 'default' ? '' : ` TEMPORAL_NAMESPACE=${cluster.namespace}`;
  return `
Temporal cluster ready: server ${CLUSTER_VERSIONS.server}, UI ${CLUSTER_VERSIONS.ui}, data in ${shown(cluster.dir)} (${cluster.created ? 'created now' : 'reused'})
${table}
Namespace ${cluster.namespace}, with lbmedic's search attributes.

lbmedic on it, each in a terminal of its own (as many workers as you like):
  export TEMPORAL_ADDRESS=${cluster.address}${ns}
  npx lbmedic sim --scenario port-moved        # the GCP simulator on :8085, if you have no project to heal
  LBMEDIC_GCP_ENDPOINT=http://127.0.0.1:8085 LBMEDIC_PROJECT=demo-project npx lbmedic worker
  LBMEDIC_RECEIVER_TOKEN=$(openssl rand -hex 24) LBMEDIC_GCP_ENDPOINT=http://127.0.0.1:8085 npx lbmedic receiver

Ctrl-C stops the cluster (or, from another terminal: npm run cluster -- --down); the next start reuses its data.`;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got ${value}`);
  return n;
}

async function up(): Promise<number> {
  if (existsSync(runningFile)) {
    const running = JSON.parse(readFileSync(runningFile, 'utf8')) as Running;
    if (alive(running.pid)) {
      console.error(
        `a cluster already runs from ${shown(dir)} on ${running.address} (pid ${running.pid}); stop it with npm run cluster -- --down`,
      );
      return 1;
    }
  }
  // Asked to stop while starting: the parts run in process groups of their own (Ctrl-C does not
  // reach them), so finish starting, then stop them all in order.
  const stopRequested = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve());
  });
  const binaries = await buildClusterBinaries((line) => console.log(line));
  if (values.build) return 0;
  const started = Date.now();
  const historyShards = positiveInt(values.shards, '--shards');
  const cluster = await startCluster({
    dir,
    ports: clusterPortsFrom(positiveInt(values['port-base'], '--port-base') ?? DEFAULT_CLUSTER_PORT_BASE),
    binaries,
    ...(historyShards === undefined ? {} : { historyShards }),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    log: (line) => console.log(line),
  });
  const running: Running = { pid: process.pid, parts: cluster.pids(), address: cluster.address };
  writeFileSync(runningFile, `${JSON.stringify(running, null, 2)}\n`);
  console.log(describe(cluster));
  console.log(`(started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);

  // A part that dies on its own is reported once, with where to read why.
  const reported = new Set<number>();
  const watch = setInterval(() => {
    for (const [part, pid] of Object.entries(cluster.pids())) {
      if (pid !== undefined && !alive(pid) && !reported.has(pid)) {
        reported.add(pid);
        console.error(`${part} (pid ${pid}) exited; its log: ${shown(cluster.logFile(part as ClusterPart))}`);
      }
    }
  }, 5_000);
  await stopRequested;
  clearInterval(watch);
  console.log('stopping the cluster …');
  await cluster.stop();
  rmSync(runningFile, { force: true });
  console.log('stopped');
  return 0;
}

try {
  process.exitCode = values.down ? await down() : await up();
} catch (err) {
  console.error(`npm run cluster: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
