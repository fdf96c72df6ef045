// /api/1/composes/: the handlers of ODCS's compose resource (routes: api/composes.routes.ts). Reads
// and writes are PostgreSQL's: each write is decided under the compose's row lock and committed with
// the records that tell its workflow (workflow_commands); the reply goes out after the COMMIT,
// whether Temporal is up or not.
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
import { deleteAcceptedMessage, deleteRefusal, reasonCanceled } from '../core/lifecycle.js';
import { assertRenewable, decideRenew, parseRenewRequest } from '../core/patch-request.js';
import type { OdcsSettings } from '../core/settings.js';
import type { Logger } from '../core/logger.js';
import { extendWithSharing, getCompose, insertCompose, listComposes, lockCompose, markCanceled, requestRemoval, type Queryable } from '../store/composes.js';
import { inTransaction } from '../store/pool.js';
import { enqueueCommands } from '../store/workflow-commands.js';
import { repoOutsideRoots } from '../activities/repo-paths.js';
import { requireUser } from './auth.js';
import * as routes from './composes.routes.js';
import { createRouter, register } from './routing.js';

export interface ComposeRouteDeps {
  config: AppConfig;
  settings: OdcsSettings;
  pool: pg.Pool;
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
  const { config, settings, pool, log } = deps;
  const app = createRouter();
  const jsonOptions = { targetDirUrl: config.targetDirUrl, extraTargetDirNames: Object.keys(settings.extra_target_dirs) };
  function toJson(row: ComposeRecord): ComposeJson;
  function toJson(row: ComposeRecord, includeConfigDump: true): ComposeDetailJson;
  function toJson(row: ComposeRecord, includeConfigDump = false) {
    return composeToJson(row, { ...jsonOptions, includeConfigDump });
  }

  /** Inserts the row and the record that its workflow must be started, in one statement. */
  async function insertWithStart(db: Queryable, input: NewComposeRequest, owner: string): Promise<ComposeRecord> {
    const { seconds_to_live, ...composeInput } = input;
    return insertCompose(db, composeInput, owner, seconds_to_live, { start: true });
  }

  const created = (row: ComposeRecord) =>
    log.info({ composeId: row.id, owner: row.owner, sourceType: row.source_type, source: row.source }, 'compose created');

  function checkRepoRoots(input: NewComposeRequest): void {
    if (input.source_type !== SOURCE_TYPES.repo) return;
    const refused = repoOutsideRoots(input.source.split(/\s+/).filter(Boolean), config.repoRoots);
    if (refused) throw new ForbiddenError(refused);
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

  // Every write is decided and committed in PostgreSQL, with the records telling the workflows;
  // the reply goes out after the COMMIT. The starter (worker) delivers the records to Temporal.
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
      // One statement (the row and its start record): atomic, one round trip.
      const row = await insertWithStart(pool, input, user.name);
      created(row);
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
      // Decided on the locked row: an expiry racing with this request either lands first (the
      // compose is removed, so it is renewed as a copy) or waits for this extend.
      const { row, copy } = await inTransaction(pool, async (tx) => {
        const locked = await lockCompose(tx, id);
        if (!locked) throw new NotFoundError(`No compose with id ${id} found`);
        const decision = decideRenew(locked, req, new Date());
        if (decision.kind === 'copy') return { row: await insertWithStart(tx, decision.input, user.name), copy: true };
        const changed = await extendWithSharing(tx, locked, req.seconds_to_live);
        await enqueueCommands(tx, changed.map((r) => ({ composeId: r.id, command: { kind: 'expiry', timeToExpire: new Date(r.time_to_expire).toISOString() } })));
        return { row: (await getCompose(tx, id))!, copy: false };
      });
      if (copy) created(row);
      return c.json(toJson(row), 200);
    },
    { parsedBy: { body: 'core/patch-request.ts' }, hook: idNotFound },
  );

  register(
    app,
    routes.deleteCompose,
    async (c) => {
      const { id } = c.req.valid('param');
      const user = await requireUser(c, 'delete-compose');
      const admin = isAdmin(user, settings);
      const message = await inTransaction(pool, async (tx) => {
        const row = await lockCompose(tx, id);
        if (!row) throw new NotFoundError('No such compose found.');
        const refusal = deleteRefusal(row, user.name, admin);
        if (refusal) throw refusal.status === 403 ? new ForbiddenError(refusal.message) : new BadRequestError(refusal.message);
        if (row.state === COMPOSE_STATES.wait) {
          // A generation slot taking it first would have moved it to generating (refused above).
          await markCanceled(tx, id, reasonCanceled(user.name));
          await enqueueCommands(tx, [{ composeId: id, command: { kind: 'cancel', user: user.name } }]);
          return deleteAcceptedMessage(id, true);
        }
        const expiring = (await requestRemoval(tx, id, user.name))!;
        await enqueueCommands(tx, [{ composeId: id, command: { kind: 'expiry', timeToExpire: new Date(expiring.time_to_expire).toISOString() } }]);
        return deleteAcceptedMessage(id, false);
      });
      return c.json({ status: 202 as const, message }, 202);
    },
    { hook: idNotFound },
  );

  return app;
}
