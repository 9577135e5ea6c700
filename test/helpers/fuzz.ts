/**
 * fast-check arbitraries for alert notifications and the run parameters every fuzz test shares.
 *
 * Runs are reproducible: each property runs with a fixed seed (override with `LBMEDIC_FUZZ_SEED`, and
 * the run count with `LBMEDIC_FUZZ_RUNS`); on a failure fast-check prints the seed, the path and the
 * shrunk counterexample, which replay with `{seed, path}`.
 */
import fc from 'fast-check';

export const FUZZ_SEED = Number(process.env.LBMEDIC_FUZZ_SEED ?? 20261124);

/** fast-check parameters: the fixed seed and `numRuns` (unless LBMEDIC_FUZZ_RUNS overrides it). */
export function fuzzParams(numRuns: number): { seed: number; numRuns: number } {
  const override = Number(process.env.LBMEDIC_FUZZ_RUNS);
  return { seed: FUZZ_SEED, numRuns: Number.isInteger(override) && override > 0 ? override : numRuns };
}

/** Keys that attack prototypes when a parser copies them naively. */
export const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Text: ASCII, any code point (lone surrogates included) or grapheme clusters. */
export const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));

/** Any JSON value, with prototype-polluting keys and extreme numbers mixed in. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    text,
    fc.double(),
    fc.constantFrom(0, -0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1, -(2 ** 63)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...POLLUTING_KEYS)), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Compute resource names lbmedic accepts, and near misses. */
export const resourceName = fc.oneof(
  fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/),
  fc.constantFrom('web-bs', 'UNKNOWN', 'Web-BS', '-bs', 'bs-', 'a'.repeat(64), 'web bs', ''),
  fc.string(),
);

/** Project ids lbmedic accepts, and near misses. */
export const projectId = fc.oneof(
  fc.stringMatching(/^fz-[a-z0-9]{3,10}$/),
  fc.constantFrom('example.com:fz-project', 'Fz-Project', 'p', 'fz-project-', ''),
  fc.string(),
);

/** Incident states: the two lbmedic knows in any case, and others. */
export const incidentState = fc.oneof(
  fc.constantFrom('open', 'OPEN', 'Open', 'closed', 'CLOSED', 'firing', 'acknowledged', ''),
  fc.string(),
  anyJson,
);

/** `value` or, sometimes, any JSON instead. */
const orJunk = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: anyJson });

const labels = (known: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .tuple(
      fc.record(known, { requiredKeys: [] }),
      fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...POLLUTING_KEYS)), anyJson, { maxKeys: 2 }),
    )
    .map(([k, extra]) => ({ ...extra, ...k }));

/**
 * Notifications that look like Cloud Monitoring's: the fields lbmedic reads, each valid, near-valid
 * or any JSON, some missing, plus unknown and prototype-polluting fields.
 */
export const notificationLike: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      version: orJunk(fc.constantFrom('1.2', 'test', '1.1', '')),
      incident: orJunk(
        fc
          .tuple(
            fc.record(
              {
                incident_id: orJunk(fc.oneof(fc.stringMatching(/^0\.[a-z0-9]{6,12}$/), text)),
                state: incidentState,
                scoping_project_id: orJunk(projectId),
                started_at: orJunk(fc.oneof(fc.nat(), fc.double(), fc.constant(null))),
                ended_at: orJunk(fc.oneof(fc.nat(), fc.constant(null), fc.constant(0))),
                summary: orJunk(text),
                policy_name: orJunk(text),
                condition_name: orJunk(fc.string()),
                observed_value: orJunk(fc.oneof(fc.string(), fc.double())),
                documentation: orJunk(fc.oneof(fc.string(), fc.record({ content: fc.string() }))),
                resource: orJunk(
                  fc.record(
                    {
                      type: orJunk(
                        fc.constantFrom(
                          'https_lb_rule',
                          'internal_http_lb_rule',
                          'http_load_balancer',
                          'gce_instance',
                        ),
                      ),
                      labels: orJunk(
                        labels({
                          project_id: orJunk(projectId),
                          backend_target_name: orJunk(resourceName),
                          backend_service_name: orJunk(resourceName),
                          backend_target_type: orJunk(
                            fc.constantFrom('BACKEND_SERVICE', 'BACKEND_BUCKET', 'UNKNOWN'),
                          ),
                          url_map_name: orJunk(resourceName),
                        }),
                      ),
                    },
                    { requiredKeys: [] },
                  ),
                ),
                metric: orJunk(
                  fc.record(
                    { labels: orJunk(labels({ backend_service_name: resourceName })) },
                    { requiredKeys: [] },
                  ),
                ),
                policy_user_labels: orJunk(
                  labels({
                    lbmedic_backend_service: orJunk(resourceName),
                    lbmedic_project: orJunk(projectId),
                    lbmedic_url_map: orJunk(resourceName),
                    lbmedic_approval: fc.constantFrom('manual', 'auto'),
                  }),
                ),
              },
              { requiredKeys: [] },
            ),
            fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...POLLUTING_KEYS)), anyJson, { maxKeys: 3 }),
          )
          .map(([known, extra]) => ({ ...extra, ...known })),
      ),
    },
    { requiredKeys: [] },
  )
  .map((n) => n as Record<string, unknown>);

/** Strings in the base64 alphabets with every padding, valid or not. */
export const base64ish = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9+/]{0,16}={0,3}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{0,16}={0,2}$/),
  fc.base64String({ maxLength: 24 }),
  fc.string({ maxLength: 24 }),
);

/** The Pub/Sub push envelope around `data`. */
export function envelope(data: unknown, messageId: unknown = '1234567890'): Record<string, unknown> {
  return {
    message: { data, attributes: {}, messageId, publishTime: '2026-11-24T02:17:00.123Z' },
    subscription: 'projects/fz-project/subscriptions/lbmedic-push',
  };
}

/** Pub/Sub push bodies: envelopes whose data is base64 of a notification, of junk, or not base64. */
export const pubsubLike: fc.Arbitrary<unknown> = fc.oneof(
  notificationLike.map((n) => envelope(Buffer.from(JSON.stringify(n)).toString('base64'))),
  notificationLike.map((n) => envelope(Buffer.from(JSON.stringify(n)).toString('base64url'))),
  fc.uint8Array({ maxLength: 64 }).map((b) => envelope(Buffer.from(b).toString('base64'))),
  base64ish.map((d) => envelope(d)),
  fc.tuple(anyJson, anyJson).map(([d, id]) => envelope(d, id)),
  notificationLike,
  anyJson,
);
