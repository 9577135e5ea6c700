/**
 * The state file of a running `lbmedic up` (`.temporal/up.json`): where Temporal, its UI, the
 * simulator and the receiver run, so that `lbmedic demo` finds them. Written once everything is up,
 * removed first when `up` stops.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../runtime/temporal-binaries';

/** Where `lbmedic up` says what runs where (git-ignored, next to the embedded server's database). */
export const DEFAULT_UP_STATE_FILE = join(PROJECT_ROOT, '.temporal', 'up.json');

export const UpState = z.object({
  temporalAddress: z.string().min(1),
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  /** The embedded dev server's Web UI; null against an external Temporal. */
  uiUrl: z.string().nullable(),
  /** The GCP simulator; null against Google Cloud. */
  simulatorUrl: z.string().nullable(),
  /** The receiver's webhook URL with its credentials (`?token=`, or `user:password@`). */
  receiverUrl: z.string().min(1),
  project: z.string().min(1),
  /** The demo approver's key and the approvers file that registers it (--simulate only). */
  approverKey: z.string().nullable().default(null),
  approversFile: z.string().nullable().default(null),
  pid: z.number().int().positive(),
});
export type UpState = z.infer<typeof UpState>;

/** Written once everything is up. Holds the receiver's credentials: readable by its owner only. */
export function writeUpState(file: string, state: UpState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes the state file if it is still this process's (another `up` may have taken it over). */
export function removeUpState(file: string, pid = process.pid): void {
  try {
    const held = UpState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (held.success && held.data.pid !== pid) return;
    rmSync(file, { force: true });
  } catch {
    // Already gone (or unreadable, which is not ours to judge): nothing to do.
  }
}

/** The receiver's webhook URL with its credentials: `?token=`, or else `user:password@`. */
export function webhookUrl(
  receiverUrl: string,
  token: string | undefined,
  basic: { username: string; password: string } | undefined,
): string {
  const url = new URL(`${receiverUrl}/alerts`);
  if (token) url.searchParams.set('token', token);
  else if (basic) {
    url.username = encodeURIComponent(basic.username);
    url.password = encodeURIComponent(basic.password);
  }
  return url.toString();
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const NOT_RUNNING = 'lbmedic up is not running: start it with `npm start` in another terminal';

/** The running `up`'s state; throws, saying to start it, when none runs. */
export function readUpState(file: string): UpState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${NOT_RUNNING} (no ${file})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${NOT_RUNNING} (${file} is not JSON)`);
  }
  const parsed = UpState.safeParse(json);
  if (!parsed.success) throw new Error(`${NOT_RUNNING} (${file} is not an lbmedic up state file)`);
  if (!pidAlive(parsed.data.pid))
    throw new Error(`${NOT_RUNNING} (${file} names process ${parsed.data.pid}, which is gone)`);
  return parsed.data;
}
