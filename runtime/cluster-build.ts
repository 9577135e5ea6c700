/**
 * Builds the pinned Temporal cluster binaries from the Go module proxy into .tools/cluster/bin, once:
 * the server (frontend, history, matching and worker services in one binary), the schema tool and
 * the Web UI server. Go's module and build caches (GOMODCACHE, GOCACHE) are Go's own, so a second
 * build, or one after `rm -rf .tools`, mostly links. The first takes minutes: it says what it does.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './temporal-binaries';

/**
 * What the cluster runs. The server 1.32.1 and UI 2.55.0 are the newest whose official images
 * (temporalio/server, temporalio/admin-tools, temporalio/ui) we could confirm exist, so
 * docker-compose.yml runs exactly these. The server module needs Go >= 1.26.10; Go 1.27.3 comes
 * from the module proxy through GOTOOLCHAIN.
 */
export const CLUSTER_VERSIONS = { server: '1.32.1', ui: '2.55.0', go: 'go1.27.3' } as const;

export const CLUSTER_TOOLS_DIR = join(PROJECT_ROOT, '.tools', 'cluster');
const BIN = join(CLUSTER_TOOLS_DIR, 'bin');
const STAMP = join(CLUSTER_TOOLS_DIR, 'versions.json');

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
}

const binaries: ClusterBinaries = {
  server: join(BIN, 'temporal-server'),
  sqlTool: join(BIN, 'temporal-sql-tool'),
  uiServer: join(BIN, 'temporal-ui-server'),
};

/** The built binaries when they are there and of the pinned versions, else undefined. */
export function builtClusterBinaries(): ClusterBinaries | undefined {
  let stamp: unknown;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return undefined;
  }
  if (JSON.stringify(stamp) !== JSON.stringify(CLUSTER_VERSIONS)) return undefined;
  return Object.values(binaries).every((b) => existsSync(b)) ? binaries : undefined;
}

const elapsed = (since: number) => {
  const s = Math.round((Date.now() - since) / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

/**
 * Runs a go command; every `everyMs` says how far it got (modules downloaded, packages compiled,
 * from go's `-v` and "downloading" lines). Resolves with stdout; rejects with the tail of stderr.
 */
function go(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; log: (line: string) => void; everyMs?: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, {
      cwd: opts.cwd ?? CLUSTER_TOOLS_DIR,
      env: { ...process.env, GOTOOLCHAIN: CLUSTER_VERSIONS.go, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = Date.now();
    let stdout = '';
    let tail = '';
    let downloaded = 0;
    let compiled = 0;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString();
      tail = (tail + text).slice(-6000);
      for (const line of text.split('\n')) {
        if (line.startsWith('go: downloading ')) downloaded++;
        else if (/^[\w.-]+(\/[\w.~+-]+)*$/.test(line.trim()) && line.trim() !== '') compiled++;
      }
    });
    const timer = setInterval(
      () =>
        opts.log(
          `      ${elapsed(started)}: ${downloaded} modules downloaded, ${compiled} packages compiled`,
        ),
      opts.everyMs ?? 30_000,
    );
    child.once('error', (err) => {
      clearInterval(timer);
      reject(
        new Error(
          `cannot run go (${err.message}): building the cluster needs Go >= 1.21 on the PATH ` +
            `(it fetches ${CLUSTER_VERSIONS.go} itself from the module proxy)`,
        ),
      );
    });
    child.once('exit', (code) => {
      clearInterval(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`go ${args.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}

/**
 * The UI server's own module does not build with `go install` at every version (a dependency
 * version it names may be missing from the proxy), and its main package is the way to start it.
 * So a small wrapper module is generated under .tools/ (git-ignored): a go.mod requiring the UI
 * server and a copy of its cmd/server/main.go, resolved with `go mod tidy`, then built.
 */
async function buildUiServer(log: (line: string) => void) {
  const dir = join(CLUSTER_TOOLS_DIR, 'ui-build');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const module = `github.com/temporalio/ui-server/v2@v${CLUSTER_VERSIONS.ui}`;
  const info = JSON.parse(await go(['mod', 'download', '-json', module], { cwd: dir, log })) as {
    Dir?: string;
  };
  if (!info.Dir) throw new Error(`go mod download ${module} named no directory`);
  writeFileSync(join(dir, 'main.go'), readFileSync(join(info.Dir, 'cmd', 'server', 'main.go')));
  writeFileSync(
    join(dir, 'go.mod'),
    `module lbmedic.local/temporal-ui-server\n\ngo 1.26\n\nrequire github.com/temporalio/ui-server/v2 v${CLUSTER_VERSIONS.ui}\n`,
  );
  const env = { GOFLAGS: '-mod=mod' };
  await go(['mod', 'tidy'], { cwd: dir, env, log });
  await go(['build', '-v', '-buildvcs=false', '-o', binaries.uiServer, '.'], { cwd: dir, env, log });
}

/**
 * The pinned binaries, built now if they are missing or of other versions. `log` receives one
 * line per step and a progress line every 30 s while Go works.
 */
export async function buildClusterBinaries(log: (line: string) => void): Promise<ClusterBinaries> {
  const built = builtClusterBinaries();
  if (built) {
    log(
      `cluster binaries already built: Temporal server ${CLUSTER_VERSIONS.server}, UI ${CLUSTER_VERSIONS.ui}`,
    );
    return built;
  }
  const started = Date.now();
  mkdirSync(BIN, { recursive: true });
  rmSync(STAMP, { force: true });
  log(
    `Building the Temporal cluster into .tools/cluster/ (once): server and temporal-sql-tool ` +
      `${CLUSTER_VERSIONS.server}, UI server ${CLUSTER_VERSIONS.ui}, with Go ${CLUSTER_VERSIONS.go} ` +
      `from the module proxy. The first build takes 7-12 min on 2 cores; later ones reuse Go's caches (under a minute).`,
  );

  let step = Date.now();
  log(`[1/3] Go toolchain ${CLUSTER_VERSIONS.go} (fetched once into the module cache)`);
  const version = (await go(['version'], { log })).trim();
  if (!version.includes(`${CLUSTER_VERSIONS.go} `)) {
    throw new Error(
      `${version}: this Go does not switch toolchains (GOTOOLCHAIN needs Go >= 1.21); install a newer Go`,
    );
  }
  log(`      ${version} (${elapsed(step)})`);

  step = Date.now();
  log(`[2/3] temporal-server and temporal-sql-tool ${CLUSTER_VERSIONS.server} (go install)`);
  const gobin = join(CLUSTER_TOOLS_DIR, 'gobin');
  mkdirSync(gobin, { recursive: true });
  const server = `go.temporal.io/server/cmd/server@v${CLUSTER_VERSIONS.server}`;
  const sqlTool = `go.temporal.io/server/cmd/tools/sql@v${CLUSTER_VERSIONS.server}`;
  await go(['install', '-v', server, sqlTool], { env: { GOBIN: gobin }, log });
  renameSync(join(gobin, 'server'), binaries.server);
  renameSync(join(gobin, 'sql'), binaries.sqlTool);
  rmSync(gobin, { recursive: true, force: true });
  log(`      done (${elapsed(step)})`);

  step = Date.now();
  log(`[3/3] temporal-ui-server ${CLUSTER_VERSIONS.ui} (a wrapper module in .tools/cluster/ui-build)`);
  await buildUiServer(log);
  log(`      done (${elapsed(step)})`);

  for (const b of Object.values(binaries)) chmodSync(b, 0o755);
  writeFileSync(STAMP, `${JSON.stringify(CLUSTER_VERSIONS)}\n`);
  log(`Cluster binaries built in ${elapsed(started)}: ${BIN}`);
  return binaries;
}
