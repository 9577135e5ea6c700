/**
 * `--help`, `-h` and `help` through the real command: every command (and every subcommand) prints
 * its own usage on stdout and exits 0, before its flags are parsed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLbmedic } from '../helpers/lbmedic';

const COMMANDS = [
  'up',
  'demo',
  'worker',
  'sim',
  'diagnose',
  'plan',
  'policies',
  'inspect',
  'receiver',
  'setup',
  'status',
  'approve',
  'reject',
  'pause',
  'resume',
  'history',
  'watch',
  'backtest',
];

/** Runs at most `width` at a time: each is a whole Node process. */
async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

test('lbmedic --help, -h and help print the whole usage and exit 0', async () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const r = await runLbmedic(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^lbmedic — heals Google Cloud load balancers/);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  lbmedic ${c}\\b`, 'm'), c);
  }
});

test('lbmedic <command> --help prints that command’s usage and exits 0, for every command', async () => {
  const runs = await inBatches(COMMANDS, 4, async (c) => ({
    c,
    r: await runLbmedic([c, '--project', 'p', c === 'sim' ? '-h' : '--help']),
  }));
  for (const { c, r } of runs) {
    assert.equal(r.code, 0, `${c} --help: ${r.stderr}`);
    assert.equal(r.stderr, '', c);
    assert.match(r.stdout, new RegExp(`^Usage:\\n  lbmedic ${c}\\b`), c);
    const others = COMMANDS.filter((o) => o !== c).map((o) => `  lbmedic ${o} `);
    for (const o of others) assert.ok(!r.stdout.includes(o), `${c} --help shows only ${c}, not ${o}`);
  }
});

test('subcommands: lbmedic setup alerts --help and lbmedic help setup temporal print only theirs', async () => {
  const alerts = await runLbmedic(['setup', 'alerts', '--help']);
  assert.equal(alerts.code, 0, alerts.stderr);
  assert.match(alerts.stdout, /^Usage:\n {2}lbmedic setup alerts --project P/);
  assert.doesNotMatch(alerts.stdout, /setup temporal/);
  const temporal = await runLbmedic(['help', 'setup', 'temporal']);
  assert.equal(temporal.code, 0, temporal.stderr);
  assert.match(temporal.stdout, /^Usage:\n {2}lbmedic setup temporal\n/);
  assert.doesNotMatch(temporal.stdout, /setup alerts/);
});

test('a wrong flag is still a usage error (exit 2) with the command’s usage', async () => {
  const r = await runLbmedic(['sim', '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^lbmedic sim: Unknown option '--bogus'\n\nUsage:\n {2}lbmedic sim /);
});
