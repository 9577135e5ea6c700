/**
 * `lbmedic watch enable | disable | status`: the health watch of one project (docs/watch.md), a
 * Temporal Schedule that reads getHealth of the backend services in scope and hands those below their
 * policy's threshold, or drifted from what lbmedic set, to the project's governor.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_WATCH_INTERVAL_SEC, readBudgetPerTick, WATCH_READS_PER_MINUTE } from '../core/watch';
import { controlTaskQueue, WatchEvery, type Config } from '../runtime/config';
import { describeWatch, disableWatch, enableWatch } from '../runtime/watch';
import { UsageError } from './flags';
import { consoleOutput, type Output } from './output';
import { EXIT, run, withClient } from './remediation-client';

export const WATCH_USAGE = `  lbmedic watch enable [--project P] [--every 15s] [--regions R1,R2]
  lbmedic watch disable [--project P]
  lbmedic watch status [--project P] [--json]
      The health watch: a Temporal Schedule that reads getHealth of the project's backend services in
      scope, global and in every region (--regions: only those regions'), every interval (at least 5s) and starts a remediation, through the governor, for one
      below its policy's HEALTHY fraction or drifted from what lbmedic set (docs/watch.md).`;

const OPTIONS = {
  project: { type: 'string' },
  every: { type: 'string' },
  regions: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `--every`: a duration at least the floor, or the default. */
function everyFlag(value: string | undefined): number {
  if (value === undefined) return DEFAULT_WATCH_INTERVAL_SEC;
  const parsed = WatchEvery.safeParse(value);
  if (!parsed.success) throw new UsageError(`--every ${value}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** `lbmedic watch`. */
export function cmdWatch(args: string[], config: Config, io: Output = consoleOutput()): Promise<number> {
  return run('watch', WATCH_USAGE, io, async () => {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
    const [verb, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const project = values.project ?? config.project;
    if (!project) throw new UsageError('name the project with --project P (or LBMEDIC_PROJECT)');
    if (verb !== 'enable' && (values.every !== undefined || values.regions !== undefined))
      throw new UsageError('--every and --regions go with enable');
    if (verb === 'enable') {
      const everySec = everyFlag(values.every);
      const regions =
        values.regions
          ?.split(',')
          .map((r) => r.trim())
          .filter((r) => r !== '') ?? [];
      const done = await withClient(config, (client) =>
        enableWatch(client, {
          project,
          everySec,
          ...(regions.length > 0 ? { regions } : {}),
          taskQueue: config.taskQueue,
          governorTaskQueue: controlTaskQueue(config),
        }),
      );
      io.out(
        `health watch of ${project} ${done === 'created' ? 'enabled' : 'changed'}: every ${everySec}s, at most ${readBudgetPerTick(everySec)} Compute reads a tick (${WATCH_READS_PER_MINUTE}/min); ticks run on task queue ${controlTaskQueue(config)}`,
      );
      return EXIT.ok;
    }
    if (verb === 'disable') {
      const removed = await withClient(config, (client) => disableWatch(client, project));
      io.out(removed ? `health watch of ${project} disabled` : `no health watch of ${project} to disable`);
      return EXIT.ok;
    }
    if (verb === 'status') {
      const state = await withClient(config, (client) => describeWatch(client, project));
      io.out(values.json ? JSON.stringify(state, null, 2) : describeState(state));
      return EXIT.ok;
    }
    throw new UsageError(
      verb === undefined ? 'say enable, disable or status' : `unknown watch command "${verb}"`,
    );
  });
}

function describeState(s: Awaited<ReturnType<typeof describeWatch>>): string {
  if (!s.enabled) return `health watch of ${s.project}: off (lbmedic watch enable --project ${s.project})`;
  const lines = [
    `health watch of ${s.project}: every ${s.everySec}s${s.paused ? ' (schedule paused)' : ''}, ${s.ticks ?? 0} tick(s), ${s.skippedOverlap ?? 0} skipped while one ran; next ${s.nextAt ?? '-'}`,
  ];
  const last = s.last;
  if (last) {
    lines.push(
      `last tick ${last.at}: ${last.requests} Compute read(s) of at most ${s.readBudget}; ${last.read.length}/${last.inScope} backend service(s) in scope read${last.deferred ? `, ${last.deferred} left for the next ticks` : ''}`,
    );
    for (const [key, e] of Object.entries(last.episodes))
      lines.push(
        `  ${key}: ${e.summary} — incident ${e.incidentId}${e.admitted ? ', handed to the governor' : ''}`,
      );
    for (const n of last.notes) lines.push(`  note: ${n}`);
  }
  return lines.join('\n');
}
