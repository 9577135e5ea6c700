/**
 * The files a local Temporal cluster runs from: its ports, the server's and the Web UI's
 * configuration, and the PostgreSQL schemas applied with temporal-sql-tool (runtime/cluster.ts starts
 * the processes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import type { CLUSTER_VERSIONS, ClusterBinaries } from './cluster-build';
import { PG_ROLE } from './cluster-postgres';
import { PROJECT_ROOT } from './temporal-binaries';

/** The Temporal dynamic config shared with docker-compose.yml. */
export const DYNAMIC_CONFIG_FILE = join(PROJECT_ROOT, 'deploy', 'temporal-dynamicconfig.yaml');

export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  ui: number;
  postgres: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
}

/** Every port a cluster listens on, in the order clusterPortsFrom gives them. */
const CLUSTER_PORT_NAMES: readonly (keyof ClusterPorts)[] = [
  'frontend',
  'frontendHttp',
  'history',
  'matching',
  'worker',
  'ui',
  'postgres',
  'frontendMembership',
  'historyMembership',
  'matchingMembership',
  'workerMembership',
];

/** Consecutive ports from `base`, the frontend's gRPC port first. */
export function clusterPortsFrom(base: number): ClusterPorts {
  return Object.fromEntries(CLUSTER_PORT_NAMES.map((n, i) => [n, base + i])) as unknown as ClusterPorts;
}

export interface ClusterOptions {
  /** Where the data, configuration and logs live (created on first start). */
  dir: string;
  ports: ClusterPorts;
  binaries: ClusterBinaries;
  /** Fixed when the data is created; a later start keeps the number it was created with. */
  historyShards?: number;
  namespace?: string;
  /** Start the Web UI server too (default true). */
  ui?: boolean;
  /** One line per step. */
  log?: (line: string) => void;
}

/** What a data folder was created with (cluster.json). */
export interface ClusterState {
  historyShards: number;
  postgresPassword: string;
  createdWith: typeof CLUSTER_VERSIONS;
}

export function readState(dir: string): ClusterState | undefined {
  const file = join(dir, 'cluster.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterState) : undefined;
}

export function temporalConfig(opts: ClusterOptions, state: ClusterState): string {
  const { ports } = opts;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${ports.postgres}`,
      connectProtocol: 'tcp',
      user: PG_ROLE,
      password: state.postgresPassword,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1' },
  });
  return stringify({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: state.historyShards,
      datastores: { default: store('temporal', 20), visibility: store('temporal_visibility', 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: {
        rpc: { ...rpc(ports.frontend, ports.frontendMembership).rpc, httpPort: ports.frontendHttp },
      },
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
          httpAddress: `127.0.0.1:${ports.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: DYNAMIC_CONFIG_FILE, pollInterval: '10s' },
  });
}

export function uiConfig(opts: ClusterOptions, namespace: string): string {
  return stringify({
    temporalGrpcAddress: `127.0.0.1:${opts.ports.frontend}`,
    host: '127.0.0.1',
    port: opts.ports.ui,
    enableUi: true,
    defaultNamespace: namespace,
    // Loopback only, and no login: nothing to phone home for.
    disableNewsFetch: true,
    notifyOnNewVersion: false,
    cors: { allowOrigins: [`http://127.0.0.1:${opts.ports.ui}`, `http://localhost:${opts.ports.ui}`] },
  });
}

/** temporal-sql-tool against one database; `args` after the global flags. */
export function sqlTool(opts: ClusterOptions, state: ClusterState, database: string, args: string[]) {
  const res = spawnSync(
    opts.binaries.sqlTool,
    [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '--port',
      String(opts.ports.postgres),
      '--user',
      PG_ROLE,
      '--password',
      state.postgresPassword,
      '--database',
      database,
      ...args,
    ],
    { encoding: 'utf8' },
  );
  if (res.status !== 0) {
    throw new Error(
      `temporal-sql-tool --database ${database} ${args.join(' ')} failed:\n${res.stderr}${res.stdout}`,
    );
  }
}

/**
 * The server module's PostgreSQL schemas, embedded in temporal-sql-tool: each database created, its
 * versioning set up and its schema brought to the binary's version. Every step is a no-op when done
 * already, so every start runs them all (and so finishes a first start that stopped half-way).
 */
export function applySchemas(opts: ClusterOptions, state: ClusterState) {
  for (const [database, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    sqlTool(opts, state, database, ['create-database']);
    sqlTool(opts, state, database, ['setup-schema', '--version', '0.0']);
    sqlTool(opts, state, database, ['update-schema', '--schema-name', schema]);
  }
}
