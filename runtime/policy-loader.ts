/**
 * Loads a policy folder from disk: `settings.yaml` and `approvers.yaml` (both optional) and one policy
 * per other `*.yaml` file, plus approvers files named elsewhere (LBMEDIC_APPROVERS_FILE, the demo
 * approver of `lbmedic up --simulate`). Every problem names the file, the line, the path in the
 * document and what is expected; the worker refuses to start while any remain. Approvals are checked
 * across files: a manual policy must name approvers with keys (runtime/approver-registry.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ApproversFile, Policy, PolicySettings, type PolicySet } from '../policies/schema';
import { checkApprovals, type Located } from './approver-registry';

/** The shipped defaults. */
export const DEFAULT_POLICY_DIR = resolve(fileURLToPath(new URL('../policies', import.meta.url)));

/**
 * Aliases a policy file may expand: a policy needs few, and a "billion laughs" document that
 * expands each alias many times over is refused, naming the file, before it costs any memory.
 */
const MAX_ALIAS_COUNT = 100;

export interface PolicyIssue {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

export class PolicyError extends Error {
  constructor(readonly issues: PolicyIssue[]) {
    super(
      `invalid policies (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues
          .map(
            (i) =>
              `  ${i.file}${i.line ? `:${i.line}:${i.column ?? 1}` : ''} ${i.path || '(document)'}: ${i.message}`,
          )
          .join('\n'),
    );
    this.name = 'PolicyError';
  }
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

function parseFile<S extends z.ZodType>(
  file: string,
  schema: S,
): { value?: z.infer<S>; issues: PolicyIssue[]; locate: (path: PropertyKey[]) => PolicyIssue } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      issues: [{ file: basename(file), path: '', message: `cannot read: ${(err as Error).message}` }],
      locate: (path) => ({ file: basename(file), path: formatPath(path), message: '' }),
    };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const name = basename(file);
  /** Points at the deepest node of the path that exists in the document. */
  const locate = (path: PropertyKey[]): PolicyIssue => {
    let node: unknown;
    for (let n = path.length; n >= 0 && !isNode(node); n--) node = doc.getIn(path.slice(0, n), true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    return {
      file: name,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      path: formatPath(path),
      message: '',
    };
  };
  if (doc.errors.length > 0) {
    return {
      locate,
      issues: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          file: name,
          line: pos.line,
          column: pos.col,
          path: '',
          message: `YAML: ${e.message.split('\n')[0]}`,
        };
      }),
    };
  }
  let json: unknown;
  try {
    json = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // An alias bomb (or any document the YAML library will not expand) names its file like the rest.
    return { locate, issues: [{ file: name, path: '', message: `YAML: ${(err as Error).message}` }] };
  }
  const parsed = schema.safeParse(json ?? {});
  if (parsed.success) return { value: parsed.data, issues: [], locate };
  return {
    locate,
    issues: parsed.error.issues.map((issue) => ({ ...locate(issue.path), message: issue.message })),
  };
}

/** The policies a command runs with: LBMEDIC_POLICY_DIR (or `dir`) and LBMEDIC_APPROVERS_FILE, plus `extra` approvers files. */
export function loadConfiguredPolicies(
  config: { policyDir?: string | undefined; approversFile?: string | undefined },
  opts: { dir?: string | undefined; extraApprovers?: string[] } = {},
): PolicySet {
  const approverFiles = [
    ...(config.approversFile ? [resolve(config.approversFile)] : []),
    ...(opts.extraApprovers ?? []),
  ];
  return loadPolicies(opts.dir ?? config.policyDir ?? DEFAULT_POLICY_DIR, { approverFiles });
}

export interface LoadOptions {
  /** Approvers files besides the folder's own `approvers.yaml` (absolute paths). */
  approverFiles?: string[];
}

const SETTINGS = /^settings\.ya?ml$/;
const APPROVERS = /^approvers\.ya?ml$/;

/** Reads and validates every policy in `dir`; throws {@link PolicyError} listing all problems. */
export function loadPolicies(dir: string = DEFAULT_POLICY_DIR, opts: LoadOptions = {}): PolicySet {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    entries = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch (err) {
    throw new PolicyError([
      { file: dir, path: '', message: `cannot read the policy folder: ${(err as Error).message}` },
    ]);
  }
  const issues: PolicyIssue[] = [];
  let settings: PolicySettings = PolicySettings.parse({});
  const policies: Located<Policy>[] = [];
  const approverFiles: Located<ApproversFile>[] = [];
  const seen = new Map<string, string>();
  const readApprovers = (file: string) => {
    const r = parseFile(file, ApproversFile);
    issues.push(...r.issues);
    if (r.value) approverFiles.push({ value: r.value, locate: r.locate });
  };
  for (const f of entries) {
    const file = join(dir, f);
    if (SETTINGS.test(f)) {
      const r = parseFile(file, PolicySettings);
      issues.push(...r.issues);
      if (r.value) settings = r.value;
      continue;
    }
    if (APPROVERS.test(f)) {
      readApprovers(file);
      continue;
    }
    const r = parseFile(file, Policy);
    issues.push(...r.issues);
    if (!r.value) continue;
    const other = seen.get(r.value.name);
    if (other) {
      issues.push({
        file: f,
        path: 'name',
        message: `policy name "${r.value.name}" is already used by ${other}`,
      });
      continue;
    }
    seen.set(r.value.name, f);
    policies.push({ value: r.value, locate: r.locate });
  }
  for (const file of opts.approverFiles ?? []) {
    try {
      readApprovers(file);
    } catch (err) {
      issues.push({ file, path: '', message: `cannot read the approvers file: ${(err as Error).message}` });
    }
  }
  if (entries.filter((f) => !SETTINGS.test(f) && !APPROVERS.test(f)).length === 0) {
    issues.push({ file: dir, path: '', message: 'no policy files (*.yaml) in the folder' });
  }
  const approvers = issues.length === 0 ? checkApprovals(policies, approverFiles, issues) : [];
  if (issues.length > 0) throw new PolicyError(issues);
  return { settings, policies: policies.map((p) => p.value), approvers };
}
