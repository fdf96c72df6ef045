// GET /packager/<user>: a plain HTML packager view for people (no JavaScript needed): who is
// logged in (the dashboard's `token` cookie, set here from the login round trip's ?oidc_token=),
// and the user's packages with their open bugs, pull requests, updates, orphan and
// fails-to-install state, from the same assembly as /api/v2/packager_dashboard. Route:
// api/dashboard.routes.ts.
import { setCookie } from 'hono/cookie';
import type { ApiDeps } from './deps.js';
import type { Authenticator } from './auth.js';
import { escapeHtml as e } from './compose-page.js';
import * as routes from './dashboard.routes.js';
import { currentUser, tokenVerifier } from './oidc-login.js';
import { createDemand } from './provider-demand.js';
import { createRouter, register } from './routing.js';

const STATUS_TEXT: Record<number, string> = { 200: 'complete', 202: 'partial: still loading, reload in a moment', 204: 'loading: nothing cached yet, reload in a moment' };

export function packagerPageRoutes(deps: ApiDeps & { auth?: Authenticator }) {
  const app = createRouter();
  const { verifier } = tokenVerifier(deps);
  const { readDashboard, visitAndDemand } = createDemand(deps);

  register(app, routes.packagerPage, async (c) => {
    const { user } = c.req.valid('param');
    const fresh = c.req.valid('query').oidc_token;
    if (fresh) {
      // Back from the login: keep the token as the dashboard does, and drop it from the address.
      setCookie(c, 'token', fresh, { path: '/', sameSite: 'Lax', maxAge: 3600 });
      return c.redirect(`/packager/${encodeURIComponent(user)}`, 302);
    }
    const who = await currentUser(c, verifier);
    const q = { users: [user], groups: [], packages: [], requiredAcl: 'commit' as const };
    const { body, demand } = await readDashboard(q);
    if ((await visitAndDemand(q, demand)) && body.status === 200) body.status = 202;
    const here = `/packager/${encodeURIComponent(user)}`;
    const login = who
      ? `<span id="who">Logged in as <b>${e(who.name)}</b></span> <a id="logout" href="/api/v1/oidc_logout?redirect=${encodeURIComponent(here)}">Log out</a>`
      : `<a id="login" href="/api/v1/oidc_login?redirect=${encodeURIComponent(here)}">Log in</a>`;
    const rows = Object.entries(body.packages)
      .map(([pkg, { data }]) => {
        const orphan = data.orphans.orphaned ? 'orphaned' : data.orphans.depends_on_orphaned ? 'depends on orphans' : '';
        return `<tr id="pkg-${e(pkg)}"><td class="p-name">${e(pkg)}</td><td class="p-bugs">${data.bzs.length}</td><td class="p-prs">${data.prs.length}</td><td class="p-updates">${data.updates.length}</td><td class="p-orphans">${e(orphan)}</td><td class="p-fti">${data.fails_to_install.length}</td></tr>`;
      })
      .join('\n');
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Packager Dashboard: ${e(user)}</title>
<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em}th{background:#eee}</style></head>
<body><header>${login}</header>
<h1>Packages of ${e(user)}</h1>
<p id="status" data-status="${body.status}">${e(STATUS_TEXT[body.status])}</p>
<table><thead><tr><th>package</th><th>open bugs</th><th>pull requests</th><th>updates</th><th>orphans</th><th>fails to install</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>`;
    return c.html(html, body.status === 200 ? 200 : 202);
  });

  return app;
}
