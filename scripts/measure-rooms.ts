/**
 * The rooms' measurements: file lengths outside simulator/ and test/, the longest functions in
 * workflows/ and core/, and cycles in the import graph (type imports included). Used by
 * test/unit/rooms.test.ts and printed by `node --import tsx scripts/measure-rooms.ts`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** Folders of lbmedic's own code (the simulator is GCP, the tests are tests). */
export const CODE_DIRS = [
  'activities',
  'cli',
  'core',
  'policies',
  'receiver',
  'runtime',
  'setup',
  'workflows',
];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

export interface Measured {
  path: string;
  lines: number;
}

export function fileLengths(dirs = CODE_DIRS, root = ROOT): Measured[] {
  return dirs
    .flatMap((d) => tsFiles(join(root, d)))
    .map((f) => ({ path: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length }))
    .sort((a, b) => b.lines - a.lines);
}

/** Every function-like node (declarations, arrows, methods) with its length in lines. */
export function functionLengths(dirs: string[], root = ROOT): Measured[] {
  const out: Measured[] = [];
  for (const file of dirs.flatMap((d) => tsFiles(join(root, d)))) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        const name =
          (node as { name?: ts.Node }).name?.getText(sf) ??
          (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : '(anonymous)');
        out.push({ path: `${relative(root, file)}:${start + 1} ${name}`, lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out.sort((a, b) => b.lines - a.lines);
}

/** Relative imports (values and types, static and dynamic) of each file, resolved to files. */
export function importGraph(dirs = CODE_DIRS, root = ROOT): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap((d) => tsFiles(join(root, d)))) {
    const text = readFileSync(file, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const base = resolve(dirname(file), m[1] as string);
      const target = [base, `${base}.ts`, join(base, 'index.ts')].find((c) => {
        try {
          return statSync(c).isFile();
        } catch {
          return false;
        }
      });
      if (target) deps.push(relative(root, target));
    }
    graph.set(relative(root, file), deps);
  }
  return graph;
}

/** The cycles of an import graph, each as a path that comes back to its start. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = fileLengths();
  console.log('longest files (outside simulator/ and test/):');
  for (const f of files.slice(0, 8)) console.log(`  ${String(f.lines).padStart(4)}  ${f.path}`);
  console.log('longest functions in workflows/ and core/:');
  for (const f of functionLengths(['workflows', 'core']).slice(0, 8))
    console.log(`  ${String(f.lines).padStart(4)}  ${f.path}`);
  const cycles = importCycles(importGraph());
  console.log(`import cycles: ${cycles.length}`);
  for (const c of cycles) console.log(`  ${c.join(' → ')}`);
}
