/**
 * Notifications on each remediation transition: a structured log line (always; the only sink by
 * default), a generic JSON webhook and Slack's incoming-webhook format, each when configured.
 *
 * A failing sink (non-2xx, timeout, refused connection) fails the activity with a retryable error, so
 * Temporal retries it; sinks that already delivered are recorded in the activity's heartbeat details
 * and skipped on the next attempt, so a retry does not post the same event twice.
 * Webhook URLs are secrets (a Slack URL is its own credential): only their host is ever logged or put
 * into an error, which lands in workflow history.
 */
import { activityInfo, asyncLocalStorage, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES, type Outcome, type TransitionEvent } from '../core/model';

export const DEFAULT_NOTIFY_TIMEOUT_MS = 5_000;
const MAX_NOTIFY_TIMEOUT_MS = 30_000;

export interface NotifyOptions {
  /** POSTs the event itself as JSON. */
  webhookUrl?: string;
  /** A Slack incoming webhook (https://hooks.slack.com/services/…). */
  slackWebhookUrl?: string;
  /** Per-request bound, ms (default 5 s, at most 30 s). */
  timeoutMs?: number;
  /** Where the log line goes; stdout by default. */
  writeLine?: (line: string) => void;
}

export type SinkName = 'log' | 'webhook' | 'slack';

interface Sink {
  name: SinkName;
  send(event: TransitionEvent): Promise<void>;
}

/** Slack's documented limits: header text 150, section text 3000 characters. */
const SLACK_HEADER_MAX = 150;
const SLACK_SECTION_MAX = 3000;

const OUTCOME_EMOJI: Record<Outcome, string> = {
  REMEDIATED: ':white_check_mark:',
  NO_FAULT: ':white_check_mark:',
  DRY_RUN: ':memo:',
  OBSERVED: ':eyes:',
  ESCALATED: ':rotating_light:',
  REJECTED: ':no_entry_sign:',
  APPROVAL_TIMEOUT: ':hourglass:',
  CANCELLED: ':heavy_multiplication_x:',
  BLOCKED_BY_LIMITS: ':octagonal_sign:',
  ROLLED_BACK: ':rewind:',
  ROLLBACK_FAILED: ':fire:',
  DUPLICATE: ':repeat:',
  OUT_OF_SCOPE: ':no_entry:',
};
const TRANSITION_EMOJI = ':large_blue_circle:';

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Slack reads `&`, `<`, `>` as markup (`<!channel>` pings everyone): escape whatever we did not write. */
function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes, then truncates without leaving half an entity behind. */
function slackText(s: string, max: number): string {
  const escaped = escapeSlack(s);
  if (escaped.length <= max) return escaped;
  return `${escaped.slice(0, max - 1).replace(/&[a-z]*$/, '')}…`;
}

/** The message Slack's incoming webhook accepts: `text` is the fallback shown in notifications. */
export function slackPayload(event: TransitionEvent) {
  const emoji = event.outcome ? OUTCOME_EMOJI[event.outcome] : TRANSITION_EMOJI;
  const what = event.outcome ?? event.phase;
  const target = `${event.project}/${event.backendService}`;
  const blocks: object[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${emoji} ${target}: ${what}`, SLACK_HEADER_MAX),
        emoji: true,
      },
    },
    { type: 'section', text: { type: 'mrkdwn', text: slackText(event.summary, SLACK_SECTION_MAX) } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: slackText(
            `project ${event.project} · backend service ${event.backendService} · workflow ${event.workflowId} · phase ${event.phase} · ${event.at}`,
            SLACK_SECTION_MAX,
          ),
        },
      ],
    },
  ];
  if (event.details) {
    // Backticks next to each other (or to the fence) would end the code block early: split them.
    const split = event.details.replace(/`(?=`)/g, '`\u200b');
    const body = `${split.startsWith('`') ? '\u200b' : ''}${split}${split.endsWith('`') ? '\u200b' : ''}`;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `\`\`\`${slackText(body, SLACK_SECTION_MAX - 6)}\`\`\`` },
    });
  }
  return { text: slackText(`${emoji} ${target} ${what}: ${event.summary}`, SLACK_SECTION_MAX), blocks };
}

/** Why a request failed, in words that never contain the URL (undici puts details in `cause`). */
function describeFailure(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const code = (err.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : err.name;
  }
  return 'unknown error';
}

function postJson(
  name: SinkName,
  url: string,
  timeoutMs: number,
  body: (e: TransitionEvent) => unknown,
): Sink {
  const host = new URL(url).host;
  return {
    name,
    async send(event) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            // Lets a receiver drop a re-delivery of the same transition.
            'x-lbmedic-event-id': `${event.workflowId}/${event.phase}/${event.at}`,
          },
          body: JSON.stringify(body(event)),
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new Error(`${name} (${host}): ${describeFailure(err)}`);
      }
      // Read the (short) answer either way so the connection is released; Slack explains errors here.
      const text = await res.text().catch(() => '');
      if (res.status < 200 || res.status > 299) {
        const said = truncate(text.split(url).join(host).replace(/\s+/g, ' ').trim(), 200);
        throw new Error(`${name} (${host}): HTTP ${res.status}${said ? ` ${said}` : ''}`);
      }
    },
  };
}

/** Which sinks delivered in an earlier attempt of this activity (from its heartbeat details). */
function deliveredBefore(): Set<string> {
  if (!asyncLocalStorage.getStore()) return new Set();
  const details = activityInfo().heartbeatDetails as { delivered?: unknown } | undefined;
  return new Set(Array.isArray(details?.delivered) ? details.delivered.map(String) : []);
}

function recordDelivered(delivered: string[]): void {
  if (asyncLocalStorage.getStore()) heartbeat({ delivered });
}

export function createNotifyActivities(opts: NotifyOptions = {}) {
  const timeoutMs = Math.min(Math.max(opts.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS, 1), MAX_NOTIFY_TIMEOUT_MS);
  const writeLine = opts.writeLine ?? ((line: string) => process.stdout.write(`${line}\n`));
  const sinks: Sink[] = [
    {
      name: 'log',
      async send(event) {
        writeLine(JSON.stringify({ level: 'info', msg: 'lbmedic transition', ...event }));
      },
    },
  ];
  if (opts.webhookUrl) sinks.push(postJson('webhook', opts.webhookUrl, timeoutMs, (e) => e));
  if (opts.slackWebhookUrl) sinks.push(postJson('slack', opts.slackWebhookUrl, timeoutMs, slackPayload));

  return {
    /** Tells every configured sink about one transition; returns the sinks that have it. */
    async notify(event: TransitionEvent): Promise<{ delivered: string[] }> {
      const before = deliveredBefore();
      const pending = sinks.filter((s) => !before.has(s.name));
      // Alive while the sinks answer (up to their timeout): a dead worker's notification is retried
      // within the heartbeat timeout. The details stay what earlier attempts delivered.
      const beat = setInterval(() => recordDelivered([...before]), 5_000);
      const results = await Promise.allSettled(pending.map((s) => s.send(event))).finally(() =>
        clearInterval(beat),
      );
      const delivered = [
        ...before,
        ...pending.filter((_, i) => results[i]?.status === 'fulfilled').map((s) => s.name),
      ];
      const failures = results.flatMap((r) =>
        r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
      );
      if (failures.length > 0) {
        recordDelivered(delivered);
        throw ApplicationFailure.retryable(
          `notification not delivered: ${failures.join('; ')}`,
          FAILURE_TYPES.notifySink,
        );
      }
      return { delivered };
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
