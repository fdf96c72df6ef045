// The Packager Dashboard's remaining endpoints (spec oraculum.md Part B section 3): the landing
// page (release schedule), the deployment environment, service messages (writes need
// MOTD_PASSWORD as a Bearer token), and the legacy v1 per-user and per-package views.
import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { dashboardV1 } from '../core/providers/dashboard-v1.js';
import { landingSchedule, type ScheduleEvent } from '../core/providers/files.js';
import { isValidAccountName, isValidPackageName } from '../core/providers/registry.js';
import { addServiceMessage, deleteServiceMessage, listServiceMessages } from '../store/service-messages.js';
import type { ApiDeps } from './app.js';
import { createDemand } from './provider-demand.js';

/** Bootstrap alert classes, what the dashboard renders a message with. */
export const SEVERITIES = ['primary', 'secondary', 'success', 'danger', 'warning', 'info', 'light', 'dark'] as const;
export const ServiceMessageInput = z.strictObject({ severity: z.enum(SEVERITIES), text: z.string().trim().min(1).max(2000) });

const bad = (message: string) => new HTTPException(400, { message });

const sha = (s: string) => createHash('sha256').update(s).digest();

/** The MOTD secret as a Bearer token, compared in constant time. */
function requireMotdPassword(c: Context, password: string | null): void {
  if (password === null) throw new HTTPException(403, { message: 'Posting service messages is disabled: MOTD_PASSWORD is not set.' });
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('Authorization') ?? '');
  if (!m) throw new HTTPException(401, { message: 'Send the service-message password as "Authorization: Bearer <MOTD_PASSWORD>".' });
  if (!timingSafeEqual(sha(m[1]), sha(password))) throw new HTTPException(403, { message: 'Wrong service-message password.' });
}

export function dashboardRoutes(deps: ApiDeps) {
  const { pool, config } = deps;
  const app = new Hono();
  const { globalData, readDashboard, visitAndDemand } = createDemand(deps);

  app.get('/api/v1/landing_page', async (c) => {
    const { data } = await globalData<{ events: ScheduleEvent[] }>('release_schedule');
    return c.json({ schedule: landingSchedule(data?.events ?? [], new Date()) });
  });

  app.get('/api/v1/deployment_env', (c) => c.json({ deployment_env: config.dashboard.deploymentEnv }));

  app.get('/api/v1/motd/service_messages', async (c) => c.json(await listServiceMessages(pool)));

  app.post('/api/v1/motd/service_messages', async (c) => {
    requireMotdPassword(c, config.dashboard.motdPassword);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw bad('The body must be JSON: {"severity", "text"}.');
    }
    const parsed = ServiceMessageInput.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw bad(`${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`);
    }
    return c.json(await addServiceMessage(pool, parsed.data.severity, parsed.data.text), 201);
  });

  app.delete('/api/v1/motd/service_messages/:id', async (c) => {
    requireMotdPassword(c, config.dashboard.motdPassword);
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) throw bad('The message id must be a positive integer.');
    if (!(await deleteServiceMessage(pool, id))) throw new HTTPException(404, { message: `No service message ${id}.` });
    return c.json({ deleted: id });
  });

  /** A v1 view: the v2 assembly regrouped; HTTP 200 only when every section is complete. */
  async function v1(c: Context, kind: 'user' | 'package', name: string) {
    const q = { users: kind === 'user' ? [name] : [], groups: [], packages: kind === 'package' ? [name] : [], requiredAcl: 'commit' as const };
    const { body, demand, resolved, lookup, disabled } = await readDashboard(q);
    const out = dashboardV1(body, resolved, lookup, { user: kind === 'user' ? name : null, disabled });
    if ((await visitAndDemand(q, demand)) && out.static_info.status === 200) out.static_info.status = 202;
    const complete = [out.static_info.status, out.bzs.status, out.prs.status, out.abrt_reports.status].every((s) => s === 200 || s === 404);
    return c.json(out, complete ? 200 : 202);
  }

  app.get('/api/v1/packager_dashboard/package/:pkg', (c) => {
    const pkg = c.req.param('pkg');
    if (!isValidPackageName(pkg)) throw bad(`Invalid package name ${JSON.stringify(pkg.slice(0, 100))}.`);
    return v1(c, 'package', pkg);
  });

  app.get('/api/v1/packager_dashboard/:user', (c) => {
    const user = c.req.param('user');
    if (!isValidAccountName(user)) throw bad(`Invalid user name ${JSON.stringify(user.slice(0, 100))}.`);
    return v1(c, 'user', user);
  });

  return app;
}
