// The CLI as one precompiled ES module, built from the TypeScript sources on first use and cached.
//
// Why: running the sources through tsx costs every lbmedic process ~35 MB (Node 20 runs tsx's module
// hooks in a loader thread of their own, plus the transpiled-source caches); for the worker that was
// a tenth of its memory (issue 8). The bundle is keyed by the sources' paths, sizes and mtimes, so an
// edited source is rebuilt on the next start and a stale build is never run.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The folders the CLI's sources live in (bin/ itself is plain JavaScript). */
export const SOURCE_DIRS = [
  'activities',
  'cli',
  'core',
  'policies',
  'receiver',
  'runtime',
  'setup',
  'simulator',
  'workflows',
];
/** Under node_modules, so the bundle's package imports resolve from the project's node_modules. */
export const DEFAULT_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'lbmedic');

function sourceFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** A key that changes with any source, the compiler, Node and tsconfig.json. */
export function sourceKey(root = ROOT) {
  const hash = createHash('sha256');
  hash.update(`${process.version}\n`);
  hash.update(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json')));
  hash.update(readFileSync(join(root, 'tsconfig.json')));
  for (const dir of SOURCE_DIRS) {
    for (const file of sourceFiles(join(root, dir)).sort()) {
      const s = statSync(file);
      hash.update(`${relative(root, file)}\0${s.size}\0${s.mtimeMs}\n`);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Each source's `import.meta.url` becomes its own file's URL, so paths the code finds next to itself
 * (the policies, the scenarios, the workflows to bundle, the project root) are the same as when the
 * sources run directly, wherever the bundle is written.
 */
const importMetaUrlPlugin = (root) => ({
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (relative(root, args.path).startsWith('..') || args.path.includes('node_modules')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: text.replace(/\bimport\.meta\.url\b/g, url), loader: 'ts' };
    });
  },
});

/**
 * The compiled CLI's file URL: from the cache when the sources are unchanged, else built now
 * (about a second) and written atomically, so processes starting together never read half a file.
 */
export async function compiledCli({ root = ROOT, cacheDir = DEFAULT_CACHE_DIR } = {}) {
  const file = join(cacheDir, `cli-${sourceKey(root)}.mjs`);
  try {
    statSync(file);
    return pathToFileURL(file).href;
  } catch {
    // not built yet
  }
  const { build } = await import('esbuild');
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await build({
    entryPoints: [join(root, 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    tsconfig: join(root, 'tsconfig.json'),
    outfile: tmp,
    logLevel: 'silent',
    plugins: [importMetaUrlPlugin(root)],
  });
  renameSync(tmp, file);
  // Builds of older sources are never used again.
  for (const old of readdirSync(cacheDir)) {
    if (old.startsWith('cli-') && join(cacheDir, old) !== file && !old.endsWith('.tmp')) {
      rmSync(join(cacheDir, old), { force: true });
    }
  }
  return pathToFileURL(file).href;
}
