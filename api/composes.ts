// /api/1/composes/: the handlers of ODCS's compose resource (routes: api/composes.routes.ts). Reads
// come from PostgreSQL; after creation every change of a compose goes through its workflow, so the
// reply says what the workflow did.
import type { Context } from 'hono';
import type pg from 'pg';
import { COMPOSE_STATES, SOURCE_TYPES, type ComposeRecord } from '../core/compose.js';
import { assertResultsProducible } from '../core/capabilities.js';
import type { AppConfig } from '../core/config.js';
import { parseNewComposeRequest, type NewComposeRequest } from '../core/compose-request.js';
import { checkPermissions, checkRenewPermissions, isAdmin, requireAllowedClient } from '../core/permissions.js';
import { decodeJsonBody } from '../core/request-body.js';
import { composeToJson, type ComposeDetailJson, type ComposeJson } from '../core/compose-json.js';
import { BadRequestError, ForbiddenError, NotFoundError, ServiceUnavailableError } from '../core/errors.js';
import { buildPageMeta, parseListQuery } from '../core/list-query.js';
import { assertRenewable, decideRenew, parseRenewRequest } from '../core/patch-request.js';
import type { OdcsSettings } from '../core/settings.js';
import type { Logger } from '../core/logger.js';
import { getCompose, insertCompose, listComposes } from '../activities/db/composes.js';
import { isUnderRoots } from '../activities/sources.js';
import { requireUser } from './auth.js';
import { isTemporalUnavailable, type TemporalGateway } from './temporal-client.js';
import { startComposeWorkflow } from '../activities/compose-start.js';
import { ComposeExpiredError, deleteCompose, extendCompose } from './workflow-gateway.js';
import * as routes from './composes.routes.js';
import { createRouter, register } from './routing.js';

export interface ComposeRouteDeps {
  config: AppConfig;
  settings: OdcsSettings;
  pool: pg.Pool;
  temporal: TemporalGateway;
  log: Logger;
}

/** Flask's <int:id>: anything but digits does not match the route, hence a 404 (zod checks the digits). */
const idNotFound = (result: { success: boolean }) => {
  if (!result.success) throw new NotFoundError('No such compose found.');
};

/** ODCS reads bodies with get_json(force=True): whatever the Content-Type, the body is JSON. */
async function jsonBody(c: Context, optional: boolean): Promise<unknown> {
  const raw = await c.req.text();
  if (raw.trim() === '') {
    if (optional) return undefined;
    throw new BadRequestError('No JSON POST data submitted');
  }
  return decodeJsonBody(raw);
}

export function composeRoutes(deps: ComposeRouteDeps) {
  const { config, settings, pool, temporal, log } = deps;
  const app = createRouter();
  const jsonOptions = { targetDirUrl: config.targetDirUrl, extraTargetDirNames: Object.keys(settings.extra_target_dirs) };
  function toJson(row: ComposeRecord): ComposeJson;
  function toJson(row: ComposeRecord, includeConfigDump: true): ComposeDetailJson;
  function toJson(row: ComposeRecord, includeConfigDump = false) {
    return composeToJson(row, { ...jsonOptions, includeConfigDump });
  }

  /** Inserts the row, then starts its workflow; a compose that cannot be scheduled is failed, never left waiting. */
  async function createCompose(input: NewComposeRequest, owner: string): Promise<ComposeRecord> {
    const { seconds_to_live, ...composeInput } = input;
    const row = await insertCompose(pool, composeInput, owner, seconds_to_live);
    try {
      await startComposeWorkflow(temporal.client, row, config, settings);
    } catch (err) {
      const reason = `Can not schedule compose ${row.id}: the workflow service is unavailable - ${(err as Error).message}`;
      await pool
        .query('UPDATE composes SET state = $2, state_reason = $3, time_done = now() WHERE id = $1 AND state = $4', [
          row.id,
          COMPOSE_STATES.failed,
          reason,
          COMPOSE_STATES.wait,
        ])
        .catch((dbErr) => log.error({ err: dbErr, composeId: row.id }, 'could not mark an unscheduled compose failed'));
      if (isTemporalUnavailable(err)) throw new ServiceUnavailableError(reason);
      throw err;
    }
    log.info({ composeId: row.id, owner, sourceType: row.source_type, source: row.source }, 'compose created');
    return row;
  }

  function checkRepoRoots(input: NewComposeRequest): void {
    if (input.source_type !== SOURCE_TYPES.repo) return;
    for (const repo of input.source.split(/\s+/).filter(Boolean)) {
      if (!isUnderRoots(repo, config.repoRoots)) {
        throw new ForbiddenError(`Repository "${repo}" is not under an allowed repository root.`);
      }
    }
  }

  register(
    app,
    routes.listComposes,
    async (c) => {
      const query = c.req.query();
      const q = parseListQuery(query);
      const { items, total } = await listComposes(pool, q);
      const url = new URL(c.req.url);
      const meta = buildPageMeta({ page: q.page, perPage: q.perPage, total, baseUrl: `${url.origin}${url.pathname}`, query });
      return c.json({ items: items.map((row) => toJson(row)), meta }, 200);
    },
    { parsedBy: { query: 'core/list-query.ts' } },
  );

  register(
    app,
    routes.getCompose,
    async (c) => {
      const row = await getCompose(pool, c.req.valid('param').id);
      if (!row) throw new NotFoundError('No such compose found.');
      return c.json(toJson(row, true), 200);
    },
    { hook: idNotFound },
  );

  register(
    app,
    routes.createCompose,
    async (c) => {
      // ODCS's decorators: login_required (401), require_scopes (403), requires_role (403), then the body.
      const user = await requireUser(c, 'new-compose');
      requireAllowedClient(user, settings);
      const input = parseNewComposeRequest(await jsonBody(c, false), settings);
      checkPermissions(input, user, settings, isAdmin(user, settings));
      assertResultsProducible(input.results);
      checkRepoRoots(input);
      const row = await createCompose(input, user.name);
      c.header('X-Compose-Id', String(row.id)); // lets the request log line name the new compose
      return c.json(toJson(row), 200);
    },
    { parsedBy: { body: 'core/compose-request.ts' } },
  );

  register(
    app,
    routes.renewCompose,
    async (c) => {
      const { id } = c.req.valid('param');
      const user = await requireUser(c, 'renew-compose');
      requireAllowedClient(user, settings);
      const body = await jsonBody(c, true);
      const old = await getCompose(pool, id);
      if (!old) throw new NotFoundError(`No compose with id ${id} found`);
      const req = parseRenewRequest(body, settings);
      assertRenewable(old); // ODCS: 404 before the permission check
      checkRenewPermissions(old, user, settings, isAdmin(user, settings));
      const renewAsCopy = async (row: ComposeRecord) => {
        const decision = decideRenew(row, req, new Date());
        if (decision.kind !== 'copy') return null;
        return toJson(await createCompose(decision.input, user.name));
      };
      const copied = await renewAsCopy(old);
      if (copied) return c.json(copied, 200);
      try {
        await extendCompose(temporal, id, req.seconds_to_live);
      } catch (err) {
        if (!(err instanceof ComposeExpiredError)) throw err;
        // It expired while we asked: renewing a removed compose makes a new one.
        return c.json((await renewAsCopy((await getCompose(pool, id))!))!, 200);
      }
      return c.json(toJson((await getCompose(pool, id))!), 200);
    },
    { parsedBy: { body: 'core/patch-request.ts' }, hook: idNotFound },
  );

  register(
    app,
    routes.deleteCompose,
    async (c) => {
      const { id } = c.req.valid('param');
      const user = await requireUser(c, 'delete-compose');
      const row = await getCompose(pool, id);
      if (!row) throw new NotFoundError('No such compose found.');
      const admin = isAdmin(user, settings);
      if (row.state === COMPOSE_STATES.removed) {
        // Its workflow has ended; answer as ODCS does without asking it.
        if (!admin) throw new ForbiddenError(`User ${user.name} is not in role admins.`);
        throw new BadRequestError(`Compose (id=${id}) can not be removed, its state need to be in ['done', 'failed'].`);
      }
      if (row.state === COMPOSE_STATES.wait && !admin && row.owner !== user.name) {
        // ODCS's literal text, placeholder included.
        throw new ForbiddenError("Compose (id=%s) can not be canceled, it's owned by someone else.");
      }
      const outcome = await deleteCompose(temporal, id, { user: user.name, isAdmin: admin });
      return c.json({ status: 202 as const, message: outcome.message }, 202);
    },
    { hook: idNotFound },
  );

  return app;
}
