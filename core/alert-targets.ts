/**
 * Which backend service(s) an incident is about. Pure: the URL map lookup it may ask for is done by
 * the caller (`activities/url-maps.ts`), and {@link backendServicesOfUrlMap} reads its answer.
 *
 * In order of precedence:
 *  1. the alert policy's user labels, the user's explicit word: `lbmedic_backend_service` (and
 *     optionally `lbmedic_project`), or `lbmedic_url_map` to diagnose every service behind a URL map;
 *  2. the incident's monitored resource: `https_lb_rule` (global external ALB),
 *     `http_external_regional_lb_rule` (regional external ALB) and `internal_http_lb_rule` carry `backend_target_name`, `backend_target_type`, `url_map_name` and
 *     `project_id` (gcp-facts §10); `http_load_balancer` (log-match alerts on the LB's request logs)
 *     carries `backend_service_name` and `url_map_name` (gcp-facts §9);
 *  3. the incident's metric labels, where a log-match policy's label extractors put what they
 *     extracted (unverified: the placement of extracted labels in the webhook payload is not documented
 *     in the 1.2 schema; lbmedic's own policies extract under the resource label names, so either
 *     place gives the same answer).
 * When the LB could not pick a backend, Monitoring reports `backend_target_name: UNKNOWN`; then only
 * the URL map is known, and every backend service behind it is diagnosed.
 */
import { labelValue, type MonitoringIncident } from './alerts';

/** Policy user labels that name the target explicitly (documented in the README). */
export const POLICY_TARGET_LABELS = {
  backendService: 'lbmedic_backend_service',
  project: 'lbmedic_project',
  urlMap: 'lbmedic_url_map',
} as const;

/**
 * Resource types whose labels name the backend target: the global external ALB's, the regional
 * external ALB's and the internal ALBs' (gcp-facts §10; the regional ones carry `region` too).
 */
const LB_RULE_TYPES = new Set(['https_lb_rule', 'http_external_regional_lb_rule', 'internal_http_lb_rule']);
/** Values Monitoring uses when no backend or URL map matched (gcp-facts §10). */
const PLACEHOLDERS = new Set(['UNKNOWN', 'UNMATCHED', 'INVALID_BACKEND', 'NO_BACKEND_SELECTED']);
/** Compute resource names: RFC 1035, at most 63 characters. */
export const RESOURCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Project ids, including domain-scoped ones (`example.com:my-project`). */
export const PROJECT_ID = /^([a-z0-9.-]+:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

export type AlertTarget =
  | {
      kind: 'backendServices';
      project: string;
      backendServices: string[];
      via: string;
      /** A regional load balancer's region (the resource's `region` label), where its backend service lives. */
      region?: string;
    }
  | { kind: 'urlMap'; project: string; urlMap: string; via: string }
  | { kind: 'unmapped'; reason: string };

function named(value: string | undefined): string | undefined {
  return value !== undefined && !PLACEHOLDERS.has(value) ? value : undefined;
}

function invalidName(what: string, value: string, via: string): AlertTarget {
  return { kind: 'unmapped', reason: `${via} "${value}" is not a valid ${what} name` };
}

function backendService(project: string, name: string, via: string, region?: string): AlertTarget {
  if (!RESOURCE_NAME.test(name)) return invalidName('backend service', name, via);
  return { kind: 'backendServices', project, backendServices: [name], via, ...(region ? { region } : {}) };
}

/**
 * The region of a regional load balancer's resource (`http_external_regional_lb_rule`,
 * `internal_http_lb_rule` carry `region`; a global one says `global`), when it is a region name.
 */
function regionOf(labels: Record<string, unknown> | null | undefined): string | undefined {
  const region = labelValue(labels, 'region');
  return region && region !== 'global' && RESOURCE_NAME.test(region) ? region : undefined;
}

function urlMap(project: string, name: string, via: string): AlertTarget {
  if (!RESOURCE_NAME.test(name)) return invalidName('URL map', name, via);
  return { kind: 'urlMap', project, urlMap: name, via };
}

/** Maps an incident to the backend service(s) to remediate, or says why it cannot. */
export function alertTarget(incident: MonitoringIncident): AlertTarget {
  const policyLabels = incident.policy_user_labels;
  const resourceType = incident.resource?.type ?? '';
  const resourceLabels = incident.resource?.labels;
  const metricLabels = incident.metric?.labels;

  const project =
    labelValue(policyLabels, POLICY_TARGET_LABELS.project) ??
    labelValue(resourceLabels, 'project_id') ??
    labelValue(metricLabels, 'project_id') ??
    incident.scoping_project_id ??
    undefined;
  if (!project) return { kind: 'unmapped', reason: 'the incident names no project' };
  if (!PROJECT_ID.test(project)) return { kind: 'unmapped', reason: `"${project}" is not a project id` };

  const explicitService = labelValue(policyLabels, POLICY_TARGET_LABELS.backendService);
  if (explicitService) {
    return backendService(
      project,
      explicitService,
      `policy_user_labels.${POLICY_TARGET_LABELS.backendService}`,
    );
  }
  const explicitMap = labelValue(policyLabels, POLICY_TARGET_LABELS.urlMap);
  if (explicitMap) return urlMap(project, explicitMap, `policy_user_labels.${POLICY_TARGET_LABELS.urlMap}`);

  const sources: [string, Record<string, unknown> | null | undefined][] = [
    ['resource.labels', resourceLabels],
    ['metric.labels', metricLabels],
  ];
  if (LB_RULE_TYPES.has(resourceType)) {
    const targetType = labelValue(resourceLabels, 'backend_target_type');
    if (targetType && targetType !== 'BACKEND_SERVICE' && !PLACEHOLDERS.has(targetType)) {
      return {
        kind: 'unmapped',
        reason: `the backend target is a ${targetType}, not a backend service; lbmedic heals backend services only`,
      };
    }
  }
  for (const [via, labels] of sources) {
    const service = named(
      labelValue(labels, 'backend_target_name') ?? labelValue(labels, 'backend_service_name'),
    );
    if (service) {
      const key = labelValue(labels, 'backend_target_name') ? 'backend_target_name' : 'backend_service_name';
      return backendService(project, service, `${via}.${key}`, regionOf(labels));
    }
  }
  for (const [via, labels] of sources) {
    const map = named(labelValue(labels, 'url_map_name'));
    if (map) return urlMap(project, map, `${via}.url_map_name`);
  }
  const what = resourceType ? `resource type "${resourceType}"` : 'the incident';
  return {
    kind: 'unmapped',
    reason:
      `${what} names no backend service or URL map (resource labels backend_target_name, ` +
      `backend_service_name or url_map_name); label the alert policy with ` +
      `${POLICY_TARGET_LABELS.backendService}=<backend service> to route it`,
  };
}

/** The subset of a Compute `UrlMap` that says which services it routes to. */
export interface UrlMapLike {
  defaultService?: string | null;
  defaultRouteAction?: RouteActionLike | null;
  pathMatchers?:
    | {
        defaultService?: string | null;
        defaultRouteAction?: RouteActionLike | null;
        pathRules?: { service?: string | null; routeAction?: RouteActionLike | null }[] | null;
        routeRules?: { service?: string | null; routeAction?: RouteActionLike | null }[] | null;
      }[]
    | null;
}
interface RouteActionLike {
  weightedBackendServices?: { backendService?: string | null }[] | null;
}

/**
 * Names of every global backend service a URL map can route to (default service, path matchers,
 * path and route rules, weighted splits), sorted and unique. Backend buckets are left out.
 */
export function backendServicesOfUrlMap(map: UrlMapLike): string[] {
  const links: (string | null | undefined)[] = [];
  const fromAction = (action: RouteActionLike | null | undefined) =>
    links.push(...(action?.weightedBackendServices ?? []).map((w) => w.backendService));
  links.push(map.defaultService);
  fromAction(map.defaultRouteAction);
  for (const matcher of map.pathMatchers ?? []) {
    links.push(matcher.defaultService);
    fromAction(matcher.defaultRouteAction);
    for (const rule of [...(matcher.pathRules ?? []), ...(matcher.routeRules ?? [])]) {
      links.push(rule.service);
      fromAction(rule.routeAction);
    }
  }
  const names = links
    .filter((l): l is string => typeof l === 'string' && /\/backendServices\/[^/]+$/.test(l))
    .map((l) => l.slice(l.lastIndexOf('/') + 1));
  return [...new Set(names)].sort();
}
