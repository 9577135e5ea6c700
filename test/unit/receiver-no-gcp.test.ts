/**
 * The receiver holds no Google Cloud credentials and no Google client: URL maps are resolved by the
 * worker (the project's governor). Checked on the code itself: nothing the receiver's modules load
 * (receiver/ and the `lbmedic receiver` command, following every import that is not type-only)
 * reaches a Google client library, google-auth-library or lbmedic's client factory. That the
 * command starts and takes alerts with no credentials at all is test/workflow/receiver.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { ROOT } from '../../scripts/measure-rooms';

/** The modules `file` loads at run time: import declarations that are not `import type`. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const out: string[] = [];
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s) && !ts.isExportDeclaration(s)) continue;
    if (ts.isImportDeclaration(s) && s.importClause?.isTypeOnly) continue;
    if (ts.isExportDeclaration(s) && s.isTypeOnly) continue;
    const spec = s.moduleSpecifier;
    if (spec && ts.isStringLiteral(spec)) out.push(spec.text);
  }
  return out;
}

/** A relative import as a file: `x.ts`, `x` → `x.ts`, or a folder's `index.ts`. */
function resolveFile(path: string): string {
  if (path.endsWith('.ts')) return path;
  return existsSync(`${path}.ts`) ? `${path}.ts` : join(path, 'index.ts');
}

/** Every module reachable from `entries`: lbmedic's files (relative to the root) and packages. */
function reachable(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = entries.map((e) => resolve(ROOT, e));
  while (todo.length > 0) {
    const file = todo.pop()!;
    const rel = relative(ROOT, file);
    if (files.has(rel)) continue;
    files.add(rel);
    for (const spec of valueImports(file)) {
      if (!spec.startsWith('.')) packages.add(spec);
      else todo.push(resolveFile(join(dirname(file), spec)));
    }
  }
  return { files, packages };
}

const GOOGLE = /^(@google-cloud\/|google-auth-library|google-gax|googleapis)/;

test('nothing the receiver loads reaches a Google client, credentials library or client factory', () => {
  const { files, packages } = reachable([
    'cli/receiver.ts',
    'receiver/server.ts',
    'receiver/intake.ts',
    'receiver/admissions.ts',
    'receiver/auth.ts',
  ]);
  assert.ok(
    files.has('receiver/intake.ts') && files.has('workflows/control-definitions.ts'),
    'the walk follows imports',
  );
  assert.deepEqual(
    [...packages].filter((p) => GOOGLE.test(p)),
    [],
  );
  assert.deepEqual(
    [...files].filter((f) => f.startsWith('activities/')),
    [],
    'no activity module (they build Google clients)',
  );
});

test('the walk would notice: the worker reaches the Google clients', () => {
  const { packages } = reachable(['cli/worker.ts']);
  assert.ok([...packages].some((p) => GOOGLE.test(p)));
});
