// How routes are declared and registered: one createRoute object per operation (api/*.routes.ts)
// registers its handler, documents it, and has zod validate what zod can answer as ODCS would.
// Request parts that ODCS's own parsers must read (bodies taken as JSON whatever the Content-Type,
// queries and headers with ODCS's messages) are named in `parsedBy`: they are documented by the
// route, and the handler reads them with the core/ parser named there.
import { OpenAPIHono, type RouteConfig, type RouteHandler, type RouteHook, type z } from '@hono/zod-openapi';
import { errorBody } from '../core/errors.js';
import { ERROR_EXAMPLES, ErrorSchema } from '../core/schemas/index.js';

/** A sub-application holding some routes; api/app.ts mounts each at '/'. */
export const createRouter = () => new OpenAPIHono({ strict: false, defaultHook: zodFailure });

/** A request part zod refused: a 400 with ODCS's body naming the first problem. */
function zodFailure(result: { success: boolean; error?: z.ZodError }, c: Parameters<RouteHook<RouteConfig>>[1]) {
  if (result.success || !result.error) return undefined;
  const issue = result.error.issues[0];
  return c.json(errorBody(400, `${issue.path.join('.') || 'request'}: ${issue.message}`), 400);
}

type RequestPart = 'params' | 'query' | 'headers' | 'body';

export interface RegisterOptions<R extends RouteConfig> {
  /** Parts read by an ODCS parser in the handler (named here for the reader), not by zod. */
  parsedBy?: Partial<Record<RequestPart, string>>;
  /** What a zod failure answers, when not the default 400. */
  hook?: RouteHook<R>;
  /** A Hono path when the documented one cannot route it (e.g. `{path}` spanning several segments). */
  routingPath?: string;
}

/**
 * Registers the handler of `route` and documents it in the app's OpenAPI registry. The app is not
 * strict about trailing slashes, which Hono implements by matching paths without one: a documented
 * `/api/1/composes/` is routed as `/api/1/composes` (and answers both).
 */
export function register<R extends RouteConfig>(app: OpenAPIHono, route: R, handler: RouteHandler<R>, opts: RegisterOptions<R> = {}): void {
  const odcsParts = Object.keys(opts.parsedBy ?? {}) as RequestPart[];
  const honoPath = route.path.length > 1 ? route.path.replace(/\/+$/, '') : route.path;
  if (odcsParts.length === 0 && !opts.routingPath && honoPath === route.path) {
    app.openapi(route, handler as never, opts.hook as never);
    return;
  }
  const { middleware, hide: _hide, ...documented } = route;
  app.openAPIRegistry.registerPath(documented);
  if (opts.routingPath) {
    const mw = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
    app.on(route.method.toUpperCase(), opts.routingPath, ...(mw as []), handler as never);
    return;
  }
  const request = { ...route.request };
  for (const part of odcsParts) delete request[part];
  app.openapi({ ...route, path: honoPath, request, hide: true }, handler as never, opts.hook as never);
}

// ---------------------------------------------------------------------------------------------
// Pieces of route definitions

type Examples = Record<string, { summary?: string; value: unknown }>;

/** A JSON response or request body. */
export const json = <S extends z.ZodType>(schema: S, examples?: Examples) => ({
  'application/json': { schema, ...(examples ? { examples } : {}) },
});

type ErrorExample = keyof typeof ERROR_EXAMPLES;

/** An error response with ODCS's body, illustrated by examples the API really sends. */
export function errorResponse(description: string, ...examples: ErrorExample[]) {
  const ex: Examples = {};
  for (const key of examples) ex[key] = { summary: ERROR_EXAMPLES[key].message, value: ERROR_EXAMPLES[key] };
  return { description, content: json(ErrorSchema, examples.length ? ex : undefined) };
}

/** Writes need an identity (api/auth.ts); with `noauth` none. The scheme is declared by api/docs.ts. */
export const BEARER_AUTH = 'bearerAuth';
export const WRITE_SECURITY: Array<Record<string, string[]>> = [{ [BEARER_AUTH]: [] }, {}];

export const ID_NOTE = 'Under an authenticating backend the caller must be logged in; with `noauth` everyone is `unknown`.';
