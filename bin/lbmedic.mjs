#!/usr/bin/env node
// Entry point of the `lbmedic` command: registers the TypeScript loader, then runs the CLI.
import { setFlagsFromString } from 'node:v8';

/**
 * GC settings of the worker (issue 8, peak RSS). By default V8 lets the old generation grow to up
 * to 4× what survived the last full GC (the heap limit here is ~4 GB), and the Google clients make
 * a lot of short-lived garbage per call (decoding log entries above all), so 100 concurrent
 * remediations peaked at ~540 MB for ~110 MB of live objects. --optimize-for-size collects sooner
 * and gives free pages back; --heap-growing-percent=30 then lets the heap grow 1.3× between full
 * GCs. Measured: ~380 MB peak for ~1.4× the worker's CPU time, same wall time. --optimize-for-size
 * alone goes to ~340 MB but costs ~2.2× the CPU, and remediations got slower. V8 reads both as it
 * runs (heap limits are recomputed after every full GC), so setting them here, before anything is
 * loaded, takes effect. A flag given on the command line wins, e.g.
 * `node --no-optimize-for-size bin/lbmedic.mjs worker` (Node refuses V8 flags in NODE_OPTIONS).
 */
const WORKER_V8_FLAGS = ['--optimize-for-size', '--heap-growing-percent=30'];

const args = process.argv.slice(2);
if (args[0] === 'worker') {
  const flagName = (arg) =>
    arg
      .replace(/^--(no-)?/, '')
      .split('=')[0]
      .replace(/_/g, '-');
  const given = new Set(process.execArgv.map(flagName));
  for (const flag of WORKER_V8_FLAGS) if (!given.has(flagName(flag))) setFlagsFromString(flag);
}
/**
 * The CLI precompiled (bin/compiled-cli.mjs): ~35 MB less per process than tsx. When it cannot be
 * built (e.g. node_modules is read-only and was never warmed up), the sources run through tsx.
 * LBMEDIC_TSX=1 forces tsx.
 */
async function loadCli() {
  if (process.env.LBMEDIC_TSX !== '1') {
    let url;
    try {
      const { compiledCli } = await import('./compiled-cli.mjs');
      url = await compiledCli();
    } catch (err) {
      process.stderr.write(
        `lbmedic: could not precompile the CLI (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); running the sources through tsx\n`,
      );
    }
    if (url) return import(url);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('../cli/main.ts');
}
const { main } = await loadCli();
process.exitCode = await main(args);
