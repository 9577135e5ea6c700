/**
 * The pieces the route modules share: what a handler receives and path templates.
 */
import type { ApiService } from './errors';
import { invalid } from './errors';
import type { FaultStore } from './faults';
import type { OperationStore } from './operations';
import type { World } from './world';

export interface RouteContext {
  world: World;
  ops: OperationStore;
  faults: FaultStore;
  service: ApiService;
  method: string;
  /** The decoded request path, without the query string. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body, or undefined when the body was empty. */
  body: unknown;
}

/** A handler returns the JSON body of a 200 answer, or throws an ApiError. */
export type Handler = (ctx: RouteContext) => unknown;

export interface Route {
  method: string;
  /** `/compute/v1/projects/:project/global/backendServices/:name`; `:x` matches one segment. */
  template: string;
  handler: Handler;
}

export interface CompiledRoute extends Route {
  segments: string[];
}

export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  return routes.map((r) => ({ ...r, segments: r.template.split('/').filter(Boolean) }));
}

/** Match path segments (already URL-decoded) against a template; params on success. */
export function matchTemplate(
  route: CompiledRoute,
  segments: readonly string[],
): Record<string, string> | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i] as string;
    const got = segments[i] as string;
    if (want.startsWith(':')) params[want.slice(1)] = got;
    else if (want !== got) return undefined;
  }
  return params;
}

/** A path parameter (templates guarantee it exists). */
export function param(ctx: RouteContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no parameter ${name}`);
  return value;
}

/** The request body as an object (an empty body is `{}`); 400 for anything else. */
export function bodyObject(ctx: RouteContext): Record<string, unknown> {
  const body = ctx.body;
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('Invalid JSON payload received. The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
