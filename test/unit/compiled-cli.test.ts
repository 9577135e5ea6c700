import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
// @ts-expect-error: plain JavaScript next to the bin script, without type declarations
import { ROOT, SOURCE_DIRS, compiledCli, sourceKey } from '../../bin/compiled-cli.mjs';
import { DEFAULT_POLICY_DIR } from '../../runtime/policy-loader';

test('the precompiled CLI runs from the cache with the paths of its sources', async () => {
  // Under node_modules, as the real cache: the bundle's package imports resolve from there.
  const cacheDir = join(ROOT as string, 'node_modules', '.cache', `lbmedic-test-${process.pid}`);
  try {
    const url = (await compiledCli({ cacheDir })) as string;
    assert.equal(await compiledCli({ cacheDir }), url, 'the second call reuses the build');
    assert.deepEqual(readdirSync(cacheDir), [url.split('/').at(-1)], 'no temporary files left');
    const text = readFileSync(new URL(url), 'utf8');
    assert.doesNotMatch(text, /import\.meta\.url/, 'every import.meta.url is its source file URL');
    assert.ok(
      text.includes(JSON.stringify(pathToFileURL(join(ROOT as string, 'runtime', 'policy-loader.ts')).href)),
    );
    const cli = (await import(url)) as { main: (args: string[]) => Promise<number> };
    assert.equal(typeof cli.main, 'function');
    assert.ok(DEFAULT_POLICY_DIR.startsWith(ROOT as string));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('the cache key changes with any source', () => {
  const root = mkdtempSync(join(tmpdir(), 'lbmedic-key-'));
  try {
    mkdirSync(join(root, 'node_modules', 'esbuild'), { recursive: true });
    writeFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), '{"version":"0"}');
    writeFileSync(join(root, 'tsconfig.json'), '{}');
    for (const dir of SOURCE_DIRS as string[]) {
      mkdirSync(join(root, dir, 'deep'), { recursive: true });
    }
    const file = join(root, 'core', 'deep', 'a.ts');
    writeFileSync(file, 'export const a = 1;\n');
    const before = sourceKey(root) as string;
    assert.equal(sourceKey(root), before);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.notEqual(sourceKey(root), before, 'an edited source');
    const edited = sourceKey(root) as string;
    writeFileSync(join(root, 'workflows', 'b.ts'), '');
    assert.notEqual(sourceKey(root), edited, 'a new source');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
