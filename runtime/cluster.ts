/**
 * A Temporal cluster on this machine, the way production runs one: PostgreSQL persistence and SQL
 * visibility, the frontend, history (several shards), matching and internal worker services each a
 * process of its own, and the Web UI server. Used by `npm run cluster` (scripts/cluster.ts), the
 * cluster tests (test/cluster/) and the benchmarks. Its state lives in one folder; starting again on
 * that folder reuses the data.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { CLUSTER_VERSIONS } from './cluster-build';
import {
  applySchemas,
  readState,
  temporalConfig,
  uiConfig,
  type ClusterOptions,
  type ClusterPorts,
  type ClusterState,
} from './cluster-config';
import { findPostgresBin, initPostgres, postgresUser, startPostgres } from './cluster-postgres';
import { portOpen, spawnClusterProcess, tail, waitReady, type ClusterProcess } from './cluster-process';
import { setupTemporalSearchAttributes } from './search-attributes';
import { PROJECT_ROOT } from './temporal-binaries';

export {
  clusterPortsFrom,
  DYNAMIC_CONFIG_FILE,
  type ClusterOptions,
  type ClusterPorts,
} from './cluster-config';

export const TEMPORAL_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];
export type ClusterPart = 'postgres' | TemporalService | 'ui';

export const DEFAULT_CLUSTER_DIR = join(PROJECT_ROOT, '.cluster');
/** Frontend gRPC on 17233, the rest just above it: clear of `lbmedic up`'s 7233 and 8233. */
export const DEFAULT_CLUSTER_PORT_BASE = 17233;
export const DEFAULT_HISTORY_SHARDS = 4;

export interface Cluster {
  /** The frontend, for TEMPORAL_ADDRESS. */
  address: string;
  uiUrl: string | undefined;
  namespace: string;
  dir: string;
  ports: ClusterPorts;
  historyShards: number;
  /** Whether this start created the data (false: it reused what an earlier start left). */
  created: boolean;
  /** The pid of every part that runs now. */
  pids(): Partial<Record<ClusterPart, number>>;
  logFile(part: ClusterPart): string;
  /**
   * Stops one part: gracefully, or as a crash (`kill`: SIGKILL; for PostgreSQL an immediate
   * shutdown, the crash it recovers from on its next start).
   */
  stopPart(part: ClusterPart, how?: 'graceful' | 'kill'): Promise<void>;
  /** Starts a part stopped with stopPart, and waits until it serves. */
  startPart(part: ClusterPart): Promise<void>;
  /** Stops everything: the UI and the internal worker first, then the frontend, history and matching, PostgreSQL last. */
  stop(): Promise<void>;
}

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

async function connect(address: string): Promise<Connection> {
  return Connection.connect({ address, connectTimeout: 2_000 });
}

/** The frontend answers its health check. */
async function frontendServing(address: string): Promise<boolean> {
  const connection = await connect(address);
  try {
    const res = await connection.healthService.check({});
    return res.status === 1; // SERVING
  } finally {
    await connection.close();
  }
}

/**
 * The frontend reaches history: a describe of workflows that do not exist comes back NotFound (from
 * the history shards that own them) instead of Unavailable.
 */
async function historyAnswers(connection: Connection, namespace: string): Promise<boolean> {
  for (let i = 0; i < 8; i++) {
    try {
      await connection.workflowService.describeWorkflowExecution({
        namespace,
        execution: { workflowId: `lbmedic-cluster-probe-${i}` },
      });
    } catch (err) {
      if (!(isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) return false;
    }
  }
  return true;
}

/** Polls `check` every 500 ms until it holds, for up to `timeoutMs`; the last error in the message. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The namespace (7 days of retention) and lbmedic's search attributes, each registered only when
 * missing; returns the attributes added now.
 */
async function ensureNamespace(connection: Connection, namespace: string): Promise<string[]> {
  const exists = await connection.workflowService.describeNamespace({ namespace }).then(
    () => true,
    (err: unknown) => {
      if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return false;
      throw err;
    },
  );
  if (!exists) {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('7 days'),
        description: 'lbmedic (npm run cluster)',
      });
    } catch (err) {
      if (!(isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS)) throw err;
    }
  }
  let added: string[] = [];
  // The namespace reaches the frontend's namespace cache within seconds.
  await until(
    `namespace ${namespace} to take search attributes`,
    async () => {
      added = (await setupTemporalSearchAttributes(connection, namespace)).added;
      return true;
    },
    60_000,
  );
  return added;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? (() => undefined);
  const namespace = opts.namespace ?? 'default';
  const { dir, ports } = opts;
  const address = `127.0.0.1:${ports.frontend}`;
  const withUi = opts.ui ?? true;
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logFile = (part: ClusterPart) => join(dir, 'logs', `${part}.log`);

  for (const [name, port] of Object.entries(ports)) {
    // cluster_membership.rpc_port is a SMALLINT in the PostgreSQL schema.
    if (port > 32_767) throw new Error(`port ${port} (${name}): the cluster's ports must be below 32768`);
    if (name === 'ui' && !withUi) continue;
    if (await portOpen(port)) {
      throw new Error(
        `port ${port} (${name}) is already in use: is a cluster already running? (npm run cluster -- --down)`,
      );
    }
  }

  let state = readState(dir);
  const created = state === undefined;
  if (!state) {
    state = {
      historyShards: opts.historyShards ?? DEFAULT_HISTORY_SHARDS,
      postgresPassword: randomBytes(18).toString('base64url'),
      createdWith: CLUSTER_VERSIONS,
    };
  } else if (opts.historyShards !== undefined && opts.historyShards !== state.historyShards) {
    log(`keeping ${state.historyShards} history shards: the data in ${dir} was created with them`);
  }
  const fixed: ClusterState = state;
  // Before initdb: the password must outlive a first start that fails half-way.
  writeFileSync(join(dir, 'cluster.json'), `${JSON.stringify(fixed, null, 2)}\n`, { mode: 0o600 });

  const pgBin = findPostgresBin();
  const pgUser = postgresUser();
  const pgData = join(dir, 'postgres');
  const processes = new Map<ClusterPart, ClusterProcess>();

  const configFile = join(dir, 'temporal.yaml');
  writeFileSync(configFile, temporalConfig(opts, fixed), { mode: 0o600 });
  mkdirSync(join(dir, 'ui'), { recursive: true });
  writeFileSync(join(dir, 'ui', 'cluster.yaml'), uiConfig(opts, namespace));

  const startTemporal = (service: TemporalService) => {
    const proc = spawnClusterProcess(
      service,
      opts.binaries.server,
      ['--config-file', configFile, '--allow-no-auth', 'start', '--service', service],
      { logFile: logFile(service) },
    );
    processes.set(service, proc);
    return proc;
  };
  /** Starts a Temporal service and waits until it serves gRPC (the frontend: its health check). */
  const temporalPart = async (service: TemporalService) => {
    const proc = startTemporal(service);
    const ready = service === 'frontend' ? () => frontendServing(address) : () => portOpen(ports[service]);
    await waitReady(proc, 'gRPC service', ready, 90_000, () => tail(logFile(service)));
  };

  const parts: Record<ClusterPart, () => Promise<void>> = {
    async postgres() {
      processes.set(
        'postgres',
        await startPostgres({
          bin: pgBin,
          dataDir: pgData,
          port: ports.postgres,
          user: pgUser,
          logFile: logFile('postgres'),
        }),
      );
    },
    history: () => temporalPart('history'),
    matching: () => temporalPart('matching'),
    frontend: () => temporalPart('frontend'),
    worker: () => temporalPart('worker'),
    async ui() {
      const proc = spawnClusterProcess(
        'ui',
        opts.binaries.uiServer,
        ['--root', dir, '--config', 'ui', '--env', 'cluster', 'start'],
        { logFile: logFile('ui') },
      );
      processes.set('ui', proc);
      const answers = async () => (await fetch(`http://127.0.0.1:${ports.ui}/`)).ok;
      await waitReady(proc, 'web page', answers, 60_000, () => tail(logFile('ui')));
    },
  };

  async function stopPart(part: ClusterPart, how: 'graceful' | 'kill' = 'graceful') {
    const proc = processes.get(part);
    if (!proc) return;
    processes.delete(part);
    if (how === 'kill') await proc.stop(part === 'postgres' ? 'SIGQUIT' : 'SIGKILL', 10_000);
    // PostgreSQL's "fast" shutdown: ends sessions, checkpoints, exits.
    else await proc.stop(part === 'postgres' ? 'SIGINT' : 'SIGTERM', 30_000);
  }
  async function stopAll() {
    await Promise.all((['ui', 'worker'] as const).map((p) => stopPart(p)));
    await stopPart('frontend');
    await Promise.all((['matching', 'history'] as const).map((p) => stopPart(p)));
    await stopPart('postgres');
  }

  let connection: Connection | undefined;
  try {
    const t0 = Date.now();
    const fresh = initPostgres({
      bin: pgBin,
      dataDir: pgData,
      password: fixed.postgresPassword,
      user: pgUser,
    });
    if (fresh) log(`PostgreSQL data folder created: ${pgData}${pgUser ? ` (runs as ${pgUser.name})` : ''}`);
    await parts.postgres();
    applySchemas(opts, fixed);
    log(
      `PostgreSQL ${fresh ? 'initialised, schemas applied' : 'started on its data, schemas up to date'} (${Date.now() - t0} ms)`,
    );

    if (created) {
      // Every Temporal service reads the search attributes once at start and then every minute: register
      // them with the frontend alone before the others start, so none starts without them.
      await parts.frontend();
      connection = await connect(address);
      await ensureNamespace(connection, namespace);
      await connection.close();
      connection = undefined;
      await stopPart('frontend');
      log(`namespace ${namespace} and lbmedic's search attributes registered`);
    }

    const t1 = Date.now();
    await Promise.all(TEMPORAL_SERVICES.map((s) => parts[s]()));
    connection = await connect(address);
    const admin = connection;
    await until('the frontend to reach the history shards', () => historyAnswers(admin, namespace), 90_000);
    if (!created) {
      const added = await ensureNamespace(admin, namespace);
      if (added.length > 0)
        log(`search attributes added: ${added.join(', ')} (seen by every service within a minute)`);
    }
    log(`Temporal services started: ${TEMPORAL_SERVICES.join(', ')} (${Date.now() - t1} ms)`);
    if (withUi) await parts.ui();
    await admin.close();
    connection = undefined;
  } catch (err) {
    await connection?.close();
    await stopAll();
    throw err;
  }

  return {
    address,
    uiUrl: withUi ? `http://127.0.0.1:${ports.ui}` : undefined,
    namespace,
    dir,
    ports,
    historyShards: fixed.historyShards,
    created,
    pids: () => Object.fromEntries([...processes].map(([part, p]) => [part, p.pid])),
    logFile,
    stopPart,
    async startPart(part) {
      if (processes.has(part)) throw new Error(`${part} is already running`);
      await parts[part]();
    },
    stop: stopAll,
  };
}
