/**
 * What every command shares about its command line: one error for a wrong one, `--help`, port
 * flags, and a busy port said with the flag that picks another.
 */

/** A wrong command line: `main` prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {}

/** A UsageError, or node:util parseArgs refusing the flags (a TypeError with an ERR_PARSE_ARGS code). */
export function isUsageError(err: unknown): err is Error {
  return err instanceof UsageError || (err instanceof TypeError && 'code' in err);
}

/** `--help` or `-h` anywhere before a `--` terminator. */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** A port flag's value; undefined when the flag was not given. */
export function portFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${name} must be a port number, got "${value}"`);
  return n;
}

function isAddressInUse(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
  }
  return false;
}

/**
 * For `.catch()` on whatever listens on `port`: a busy port becomes an error naming the port and the
 * flag that picks another; anything else passes through.
 */
export function busyPort(port: number, flag: string): (err: unknown) => never {
  return (err) => {
    if (isAddressInUse(err))
      throw new Error(
        `port ${port} is already in use: stop what listens there, or choose another with ${flag}`,
        {
          cause: err,
        },
      );
    throw err;
  };
}
