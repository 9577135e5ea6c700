/**
 * Where commands write (tests pass their own), and the one guard for reading the untyped JSON a
 * workflow reports (its status's diagnosis, plan, timeline).
 */
import { createInterface } from 'node:readline/promises';

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** A line that the next output replaces (a ticking "waiting" line); only on a terminal. */
  transient?(line: string): void;
  /** Asks a person and returns the answer; only when stdin is a terminal. */
  ask?(question: string): Promise<string>;
}

/** stdout and stderr; on a terminal, also the transient line. */
export function consoleOutput(): Output {
  let pending = false;
  const clear = () => {
    if (pending) process.stdout.write('\r\x1b[K');
    pending = false;
  };
  return {
    out: (line) => {
      clear();
      console.log(line);
    },
    err: (line) => {
      clear();
      console.error(line);
    },
    ...(process.stdin.isTTY
      ? {
          ask: async (question: string) => {
            clear();
            const rl = createInterface({ input: process.stdin, output: process.stdout });
            try {
              return await rl.question(question);
            } finally {
              rl.close();
            }
          },
        }
      : {}),
    ...(process.stdout.isTTY
      ? {
          transient: (line: string) => {
            process.stdout.write(`\r\x1b[K${line}`);
            pending = true;
          },
        }
      : {}),
  };
}

/** A plain JSON object. */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
