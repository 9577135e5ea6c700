/**
 * Cloud Monitoring v3: `timeSeries.list` over the World's simulated metrics, and alert policies and
 * notification channels kept in the project (create, list with a filter, get, patch, delete).
 *
 * timeSeries.list: `filter` must hold exactly one `metric.type = "..."` and may add `resource.type`,
 * `resource.labels.X` / `resource.label.X`, `metric.labels.X` / `metric.label.X`, `project` (numbers
 * compare numerically, strings exactly); `interval.endTime` is required, `interval.startTime` defaults
 * to it and points whose end time lies in [start, end] are returned, newest first; `view` FULL or
 * HEADERS (or 0/1); `pageSize` (≤ 100000) and `pageToken`; `aggregation.*` as monitoring-aggregation.ts
 * describes. `orderBy` must be blank and `secondaryAggregation` is ignored.
 */
import { ApiError, failedPrecondition, invalid } from './errors';
import type { FilterNode } from './log-filter';
import {
  FilterSyntaxError,
  allComparisons,
  matches,
  parseFilter,
  requiredComparisons,
  resolvePath,
} from './log-filter';
import type { TimeSeriesJson } from './monitoring-aggregation';
import { aggregate, clipToInterval, parseAggregation } from './monitoring-aggregation';
import type { Project } from './model';
import { newNumericId } from './operations';
import { pageSize, paginate } from './pagination';
import type { Route, RouteContext } from './router';
import { bodyObject, isRecord, param } from './router';

const P = '/v3/projects/:project';

function projectOf(ctx: RouteContext): Project {
  const id = param(ctx, 'project');
  const project = ctx.world.projects.get(id);
  if (!project) throw new ApiError(404, `Project "projects/${id}" not found.`, 'notFound');
  return project;
}

function parseFilterField(text: string, field = 'filter'): FilterNode | undefined {
  try {
    return parseFilter(text);
  } catch (err) {
    if (err instanceof FilterSyntaxError)
      throw invalid(`Field ${field} had an invalid value of "${text}": ${err.message}`);
    throw err;
  }
}

function timestamp(raw: string | null, field: string): number | undefined {
  if (raw === null || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms))
    throw invalid(`Field ${field} had an invalid value of "${raw}": must be an RFC 3339 timestamp.`);
  return ms;
}

/** Monitoring filter paths: `resource.label.x` = `resource.labels.x`, `project` = the project label. */
export function seriesResolver(series: object) {
  return (path: readonly string[]): unknown[] => {
    if (path.length === 1 && path[0] === 'project')
      return resolvePath(series, ['resource', 'labels', 'project_id']);
    const [head, second, ...rest] = path;
    if ((head === 'resource' || head === 'metric') && second === 'label') {
      return resolvePath(series, [head, 'labels', ...rest]);
    }
    return resolvePath(series, path);
  };
}

function listTimeSeries(ctx: RouteContext): Record<string, unknown> {
  const project = projectOf(ctx);
  const text = ctx.query.get('filter');
  if (!text) throw invalid('Field filter is required: it must name exactly one metric.type.');
  const filter = parseFilterField(text);
  const types = allComparisons(filter).filter((c) => c.path.join('.') === 'metric.type');
  const required = requiredComparisons(filter).filter(
    (c) => c.path.join('.') === 'metric.type' && c.op === '=',
  );
  if (types.length !== 1 || required.length !== 1 || required[0]?.value.kind !== 'literal') {
    throw invalid(
      `Field filter had an invalid value of "${text}": it must specify exactly one metric.type = "...".`,
    );
  }
  const end = timestamp(ctx.query.get('interval.endTime'), 'interval.endTime');
  if (end === undefined) throw invalid('Field interval.endTime is required.');
  const start = timestamp(ctx.query.get('interval.startTime'), 'interval.startTime') ?? end;
  if (start > end) throw invalid('Field interval.startTime must not be later than interval.endTime.');
  if (ctx.query.get('orderBy')) throw invalid('Field orderBy is not supported and must be blank.');
  const view = ctx.query.get('view') ?? 'FULL';
  if (!['FULL', 'HEADERS', '0', '1'].includes(view)) {
    throw invalid(`Field view had an invalid value of "${view}": must be FULL or HEADERS.`);
  }
  const agg = parseAggregation(ctx.query);
  const size = pageSize(ctx.query.get('pageSize') ?? undefined, {
    defaultSize: 100_000,
    max: 100_000,
    field: 'pageSize',
  });

  const selected: TimeSeriesJson[] = ctx.world
    .timeSeries(project.projectId)
    .filter((s) => matches(filter, seriesResolver(s), { caseSensitive: true }))
    .map((s) => ({ ...s }));
  let series: TimeSeriesJson[];
  if (agg) {
    series = aggregate(selected, agg, start, end);
  } else {
    series = selected.map((s) => clipToInterval(s, start, end)).filter((s) => (s.points?.length ?? 0) > 0);
  }
  if (view === 'HEADERS' || view === '1') {
    series = series.map((s) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'points')));
  }
  const page = paginate(series, size, ctx.query.get('pageToken') ?? undefined);
  return { timeSeries: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
}

// --------------------------------------------------------------------- alert policies and channels

const snakeToCamel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

interface Collection {
  /** `alertPolicies` or `notificationChannels`. */
  name: 'alertPolicies' | 'notificationChannels';
  store: (p: Project) => Map<string, Record<string, unknown>>;
  validate: (project: Project, body: Record<string, unknown>) => void;
  /** How a stored item is shown (e.g. obfuscated secrets). */
  show: (item: Record<string, unknown>) => Record<string, unknown>;
}

function mutation(project: Project): Record<string, unknown> {
  return {
    mutateTime: new Date().toISOString(),
    mutatedBy: `lbmedic-sim@${project.projectId}.iam.gserviceaccount.com`,
  };
}

const CONDITION_KINDS = [
  'conditionThreshold',
  'conditionAbsent',
  'conditionMatchedLog',
  'conditionMonitoringQueryLanguage',
  'conditionPrometheusQueryLanguage',
  'conditionSql',
];

function validatePolicy(project: Project, body: Record<string, unknown>): void {
  const conditions = body['conditions'];
  if (!Array.isArray(conditions) || conditions.length === 0 || conditions.length > 6) {
    throw invalid('Field alert_policy.conditions had an invalid value: a policy needs 1 to 6 conditions.');
  }
  conditions.forEach((condition: unknown, i) => {
    const kinds = isRecord(condition) ? CONDITION_KINDS.filter((k) => condition[k] !== undefined) : [];
    if (!isRecord(condition) || kinds.length !== 1) {
      throw invalid(
        `Field alert_policy.conditions[${i}] must set exactly one condition type (${CONDITION_KINDS.join(', ')}).`,
      );
    }
    const kind = kinds[0] as string;
    const spec = condition[kind];
    if (isRecord(spec)) {
      for (const key of ['filter', 'denominatorFilter']) {
        if (typeof spec[key] === 'string')
          parseFilterField(spec[key], `alert_policy.conditions[${i}].${kind}.${key}`);
      }
    }
    if (kind === 'conditionMatchedLog') {
      const strategy = body['alertStrategy'];
      const rateLimit = isRecord(strategy) ? strategy['notificationRateLimit'] : undefined;
      if (!isRecord(rateLimit) || rateLimit['period'] === undefined) {
        throw invalid(
          'Field alert_policy.alert_strategy.notification_rate_limit.period is required for log-match conditions.',
        );
      }
    }
  });
  const documentation = body['documentation'];
  if (isRecord(documentation)) {
    if (typeof documentation['content'] === 'string' && documentation['content'].length > 8192) {
      throw invalid('Field alert_policy.documentation.content is longer than 8192 characters.');
    }
    const mime = documentation['mimeType'];
    if (mime !== undefined && mime !== 'text/markdown') {
      throw invalid('Field alert_policy.documentation.mime_type must be "text/markdown".');
    }
  }
  const channels = body['notificationChannels'];
  if (channels !== undefined) {
    if (!Array.isArray(channels)) throw invalid('Field alert_policy.notification_channels must be a list.');
    for (const channel of channels) {
      const id =
        typeof channel === 'string'
          ? /^projects\/([^/]+)\/notificationChannels\/([^/]+)$/.exec(channel)
          : null;
      if (!id || id[1] !== project.projectId || !project.notificationChannels.has(id[2] ?? '')) {
        // The real API's status for an unknown channel is unverified; 400 names the problem.
        throw invalid(
          `Field alert_policy.notification_channels had an invalid value: channel "${String(channel)}" does not exist.`,
        );
      }
    }
  }
}

const CHANNEL_LABELS: Record<string, string[]> = {
  webhook_tokenauth: ['url'],
  webhook_basicauth: ['url', 'username', 'password'],
  pubsub: ['topic'],
  email: ['email_address'],
};

function validateChannel(_project: Project, body: Record<string, unknown>): void {
  const type = body['type'];
  if (typeof type !== 'string' || type === '') throw invalid('Field notification_channel.type is required.');
  const labels = isRecord(body['labels']) ? body['labels'] : {};
  for (const label of CHANNEL_LABELS[type] ?? []) {
    if (typeof labels[label] !== 'string' || labels[label] === '') {
      throw invalid(
        `Field notification_channel.labels had an invalid value: "${label}" is required for type ${type}.`,
      );
    }
  }
}

const SECRET_LABELS = ['password', 'auth_token'];

function showChannel(item: Record<string, unknown>): Record<string, unknown> {
  if (!isRecord(item['labels'])) return item;
  const labels = Object.fromEntries(
    Object.entries(item['labels']).map(([k, v]) => [k, SECRET_LABELS.includes(k) ? '*'.repeat(8) : v]),
  );
  return { ...item, labels };
}

const POLICIES: Collection = {
  name: 'alertPolicies',
  store: (p) => p.alertPolicies,
  validate: validatePolicy,
  show: (item) => item,
};
const CHANNELS: Collection = {
  name: 'notificationChannels',
  store: (p) => p.notificationChannels,
  validate: validateChannel,
  show: showChannel,
};

const OUTPUT_ONLY = ['name', 'creationRecord', 'mutationRecord', 'mutationRecords', 'verificationStatus'];

function itemOf(ctx: RouteContext, project: Project, c: Collection): Record<string, unknown> {
  const id = param(ctx, 'id');
  const item = c.store(project).get(id);
  if (!item)
    throw new ApiError(
      404,
      `Requested entity was not found: projects/${project.projectId}/${c.name}/${id}`,
      'notFound',
    );
  return item;
}

function create(c: Collection) {
  return (ctx: RouteContext): Record<string, unknown> => {
    const project = projectOf(ctx);
    const body = bodyObject(ctx);
    c.validate(project, body);
    const id = newNumericId();
    const name = `projects/${project.projectId}/${c.name}/${id}`;
    const item: Record<string, unknown> = Object.fromEntries(
      Object.entries(body).filter(([k]) => !OUTPUT_ONLY.includes(k)),
    );
    item['name'] = name;
    if (c === POLICIES) {
      item['creationRecord'] = mutation(project);
      item['mutationRecord'] = mutation(project);
      item['enabled'] ??= true;
      item['conditions'] = (item['conditions'] as Record<string, unknown>[]).map((cond) => ({
        ...cond,
        name: `${name}/conditions/${newNumericId()}`,
      }));
    } else {
      item['creationRecord'] = mutation(project);
      item['mutationRecords'] = [mutation(project)];
      item['enabled'] ??= true;
    }
    c.store(project).set(id, item);
    return c.show(item);
  };
}

function list(c: Collection) {
  return (ctx: RouteContext): Record<string, unknown> => {
    const project = projectOf(ctx);
    const text = ctx.query.get('filter') ?? '';
    const filter = parseFilterField(text);
    // Filters name fields in snake_case (`user_labels.team`, `display_name`); the JSON is camelCase.
    const items = [...c.store(project).values()].filter((item) =>
      matches(filter, ([head, ...rest]) => resolvePath(item, [snakeToCamel(head ?? ''), ...rest]), {
        caseSensitive: true,
      }),
    );
    const size = pageSize(ctx.query.get('pageSize') ?? undefined, {
      defaultSize: 1000,
      max: 1000,
      field: 'pageSize',
    });
    const page = paginate(items, size, ctx.query.get('pageToken') ?? undefined);
    return {
      [c.name]: page.items.map(c.show),
      totalSize: items.length,
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  };
}

function get(c: Collection) {
  return (ctx: RouteContext): Record<string, unknown> => c.show(itemOf(ctx, projectOf(ctx), c));
}

/** PATCH with an optional `updateMask` (comma-separated field paths); without one every given field is replaced. */
function update(c: Collection) {
  return (ctx: RouteContext): Record<string, unknown> => {
    const project = projectOf(ctx);
    const current = itemOf(ctx, project, c);
    const body = bodyObject(ctx);
    const mask = (ctx.query.get('updateMask') ?? '')
      .split(',')
      .map((f) => snakeToCamel(f.trim()))
      .filter(Boolean);
    const next: Record<string, unknown> = { ...current };
    const fields = mask.length > 0 ? mask : Object.keys(body).filter((k) => !OUTPUT_ONLY.includes(k));
    for (const field of fields) {
      const top = field.split('.')[0] ?? field;
      if (OUTPUT_ONLY.includes(top)) continue;
      if (body[top] === undefined) delete next[top];
      else next[top] = body[top];
    }
    c.validate(project, next);
    if (c === POLICIES) next['mutationRecord'] = mutation(project);
    else
      next['mutationRecords'] = [
        ...((current['mutationRecords'] as unknown[] | undefined) ?? []),
        mutation(project),
      ];
    c.store(project).set(param(ctx, 'id'), next);
    return c.show(next);
  };
}

function remove(c: Collection) {
  return (ctx: RouteContext): Record<string, unknown> => {
    const project = projectOf(ctx);
    const item = itemOf(ctx, project, c);
    if (c === CHANNELS) {
      const users = [...project.alertPolicies.values()].filter((p) =>
        ((p['notificationChannels'] as unknown[] | undefined) ?? []).includes(item['name']),
      );
      if (users.length > 0 && ctx.query.get('force') !== 'true') {
        throw failedPrecondition(
          `Notification channel ${String(item['name'])} is used by ${users.length} alert policies; delete with force=true.`,
        );
      }
      for (const policy of users) {
        policy['notificationChannels'] = (policy['notificationChannels'] as unknown[]).filter(
          (n) => n !== item['name'],
        );
      }
    }
    c.store(project).delete(param(ctx, 'id'));
    return {};
  };
}

function collectionRoutes(c: Collection): Route[] {
  return [
    { method: 'POST', template: `${P}/${c.name}`, handler: create(c) },
    { method: 'GET', template: `${P}/${c.name}`, handler: list(c) },
    { method: 'GET', template: `${P}/${c.name}/:id`, handler: get(c) },
    { method: 'PATCH', template: `${P}/${c.name}/:id`, handler: update(c) },
    { method: 'DELETE', template: `${P}/${c.name}/:id`, handler: remove(c) },
  ];
}

export const monitoringRoutes: Route[] = [
  { method: 'GET', template: `${P}/timeSeries`, handler: listTimeSeries },
  ...collectionRoutes(POLICIES),
  ...collectionRoutes(CHANNELS),
];
