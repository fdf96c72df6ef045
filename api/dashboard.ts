// The Packager Dashboard's remaining endpoints (spec oraculum.md Part B section 3; routes:
// api/dashboard.routes.ts): the landing page (release schedule), the deployment environment,
// service messages (writes need MOTD_PASSWORD as a Bearer token), and the legacy v1 per-user and
// per-package views.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context } from 'hono';
import { BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError } from '../core/errors.js';
import type { GroupsMeta } from '../core/providers/dashboard.js';
import { dashboardV1 } from '../core/providers/dashboard-v1.js';
import { landingSchedule, type ScheduleEvent } from '../core/providers/files.js';
import { ServiceMessageIdParamsSchema, ServiceMessageInputSchema } from '../core/schemas/dashboard.js';
import { addServiceMessage, deleteServiceMessage, listServiceMessages } from '../store/service-messages.js';
import * as routes from './dashboard.routes.js';
import type { ApiDeps } from './deps.js';
import { createDemand } from './provider-demand.js';
import { createRouter, register } from './routing.js';

const sha = (s: string) => createHash('sha256').update(s).digest();

/** The MOTD secret as a Bearer token, compared in constant time. */
function requireMotdPassword(c: Context, password: string | null): void {
  if (password === null) throw new ForbiddenError('Posting service messages is disabled: MOTD_PASSWORD is not set.');
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('Authorization') ?? '');
  if (!m) throw new UnauthorizedError('Send the service-message password as "Authorization: Bearer <MOTD_PASSWORD>".');
  if (!timingSafeEqual(sha(m[1]), sha(password))) throw new ForbiddenError('Wrong service-message password.');
}

/** The first problem zod found, as ODCS's 400. */
function firstIssue(error: { issues: Array<{ path: PropertyKey[]; message: string }> }, part: string): BadRequestError {
  const i = error.issues[0];
  return new BadRequestError(`${i.path.length ? i.path.map(String).join('.') : part}: ${i.message}`);
}

export function dashboardRoutes(deps: ApiDeps) {
  const { pool, config } = deps;
  const app = createRouter();
  const { globalData, readDashboard, visitAndDemand } = createDemand(deps);

  register(app, routes.landingPage, async (c) => {
    const { data } = await globalData<{ events: ScheduleEvent[] }>('release_schedule');
    return c.json({ schedule: landingSchedule(data?.events ?? [], new Date()) }, 200);
  });

  register(app, routes.deploymentEnv, (c) => c.json({ deployment_env: config.dashboard.deploymentEnv }, 200));

  register(app, routes.serviceMessages, async (c) => c.json(await listServiceMessages(pool), 200));

  register(app, routes.addServiceMessage, async (c) => {
    requireMotdPassword(c, config.dashboard.motdPassword);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new BadRequestError('The body must be JSON: {"severity", "text"}.');
    }
    const parsed = ServiceMessageInputSchema.safeParse(raw);
    if (!parsed.success) throw firstIssue(parsed.error, 'body');
    return c.json(await addServiceMessage(pool, parsed.data.severity, parsed.data.text), 201);
  }, { parsedBy: { body: 'ServiceMessageInputSchema, after the password check' } });

  register(app, routes.deleteServiceMessage, async (c) => {
    requireMotdPassword(c, config.dashboard.motdPassword);
    const parsed = ServiceMessageIdParamsSchema.safeParse({ id: c.req.param('id') });
    if (!parsed.success) throw firstIssue(parsed.error, 'id');
    const id = Number(parsed.data.id);
    if (!(await deleteServiceMessage(pool, id))) throw new NotFoundError(`No service message ${id}.`);
    return c.json({ deleted: id }, 200);
  }, { parsedBy: { params: 'ServiceMessageIdParamsSchema, after the password check' } });

  /** A v1 view: the v2 assembly regrouped; HTTP 200 only when every section is complete. */
  async function v1(kind: 'user' | 'package', name: string) {
    // A user view covers the user's packages and those of the groups they are a member of; until
    // the groups are known (queued if missing or stale) it is partial.
    const memberships = kind === 'user' ? await globalData<GroupsMeta>('pagure_groups') : null;
    const groups = memberships?.data?.user_groups?.[name] ?? [];
    const q = { users: kind === 'user' ? [name] : [], groups, packages: kind === 'package' ? [name] : [], requiredAcl: 'commit' as const };
    const { body, demand, resolved, lookup, disabled } = await readDashboard(q);
    const out = dashboardV1(body, resolved, lookup, { user: kind === 'user' ? name : null, disabled });
    if ((await visitAndDemand(q, demand)) && out.static_info.status === 200) out.static_info.status = 202;
    if (memberships && memberships.data == null && out.static_info.status === 200) out.static_info.status = 202;
    const complete = [out.static_info.status, out.bzs.status, out.prs.status, out.abrt_reports.status].every((s) => s === 200 || s === 404);
    return { out, complete };
  }

  register(app, routes.packagerDashboardV1Package, async (c) => {
    const { out, complete } = await v1('package', c.req.valid('param').pkg);
    return complete ? c.json(out, 200) : c.json(out, 202);
  });

  register(app, routes.packagerDashboardV1User, async (c) => {
    const { out, complete } = await v1('user', c.req.valid('param').user);
    return complete ? c.json(out, 200) : c.json(out, 202);
  });

  return app;
}
