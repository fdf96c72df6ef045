// GET / (and HEAD /): the compose page. The newest composes as a plain server-rendered table that
// reads without JavaScript; a small inline script (no CDN, no framework) then follows
// /api/1/events from the outbox position the page was rendered at, so no change falls between the
// render and the stream: new composes appear at the top, rows update in place and flash briefly.
import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type pg from 'pg';
import { latestEventId } from '../store/events.js';
import { listComposes } from '../store/composes.js';
import { SOURCE_TYPE_NAMES } from '../core/compose.js';
import { composeToJson, type ComposeJson } from '../core/compose-json.js';
import type { AppConfig } from '../core/config.js';
import type { OdcsSettings } from '../core/settings.js';
import { composeWorkflowId } from '../workflows/messages.js';
import { createRouter, register } from './routing.js';

export const composePageRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['server'],
  operationId: 'composePage',
  summary: 'Compose page',
  description: 'The newest composes as an HTML table (readable without JavaScript), updated live from `/api/1/events` when scripts run. `HEAD /` answers too.',
  responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } } },
});

/** Rows on the page; the live view keeps at most this many too. */
export const PAGE_LIMIT = 50;


export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Only http(s) URLs and same-origin paths become links. */
function safeHref(url: unknown): string | null {
  if (typeof url !== 'string' || url === '') return null;
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** "in 23 h", "5 min ago". Same rules as relative() in the page script. */
export function relativeTime(target: Date, now: Date): string {
  const ms = target.getTime() - now.getTime();
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 1) return 'now';
  let t: string;
  if (s < 60) t = `${s} s`;
  else if (s < 90 * 60) t = `${Math.round(s / 60)} min`;
  else if (s < 48 * 3600) t = `${Math.round(s / 3600)} h`;
  else t = `${Math.round(s / 86400)} d`;
  return ms >= 0 ? `in ${t}` : `${t} ago`;
}

/** "the 50 newest of 120". Same rules as countText() in the page script. */
function countText(shown: number, total: number): string {
  return total === 0 ? 'none yet' : shown < total ? `the ${shown} newest of ${total}` : `${total} in all`;
}

/** "2024-05-01 12:00:00 UTC" from ODCS's "2024-05-01T12:00:00Z". */
function absoluteUtc(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, ' UTC');
}

interface PageUrls {
  /** `${TEMPORAL_UI_URL}/namespaces/<ns>/workflows/`; a workflow id completes it. */
  workflowBase: string;
  workflowsList: string;
}

function pageUrls(config: AppConfig): PageUrls {
  const ui = config.temporalUiUrl.replace(/\/+$/, '');
  const list = `${ui}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows`;
  return { workflowBase: `${list}/`, workflowsList: list };
}

function link(href: unknown, text: string, title: string, cls: string): string {
  const h = safeHref(href);
  if (!h) return '';
  return `<a class="${cls}" href="${escapeHtml(h)}" title="${escapeHtml(title)}">${escapeHtml(text)}</a>`;
}

/** One table row from the compose JSON (the same JSON the events stream carries). */
export function renderRow(c: ComposeJson, now: Date, urls: PageUrls): string {
  const id = Number(c.id);
  const state = String(c.state_name ?? '');
  const sourceType = SOURCE_TYPE_NAMES[Number(c.source_type)] ?? String(c.source_type ?? '');
  const expires = typeof c.time_to_expire === 'string' ? c.time_to_expire : '';
  const packages = typeof c.packages === 'string' && c.packages ? c.packages : '';
  const links: string[] = [];
  if (state === 'done') {
    links.push(link(c.result_repofile, '.repo', 'The .repo file of this compose', 'l-repo'));
    links.push(link(c.toplevel_url, 'tree', 'The compose tree', 'l-tree'));
  }
  const workflowId = composeWorkflowId(id);
  links.push(link(`${urls.workflowBase}${encodeURIComponent(workflowId)}`, 'workflow', `${workflowId} in the Temporal UI`, 'l-wf'));
  const expiresCell = expires
    ? `<time datetime="${escapeHtml(expires)}" title="${escapeHtml(absoluteUtc(expires))}">${escapeHtml(relativeTime(new Date(expires), now))}</time>`
    : '';
  return (
    `<tr id="compose-${id}" data-id="${id}" data-state="${escapeHtml(state)}">` +
    `<td class="c-id"><a href="/api/1/composes/${id}" title="This compose as JSON">${id}</a></td>` +
    `<td class="c-state"><span class="badge s-${escapeHtml(state)}" title="${escapeHtml(c.state_reason ?? '')}">${escapeHtml(state)}</span></td>` +
    `<td class="c-owner">${escapeHtml(c.owner)}</td>` +
    `<td class="c-source"><span class="stype">${escapeHtml(sourceType)}</span> <span class="src">${escapeHtml(c.source)}</span>` +
    (packages ? `<div class="pkgs" title="${escapeHtml(packages)}">${escapeHtml(packages)}</div>` : '') +
    `</td>` +
    `<td class="c-expires">${expiresCell}</td>` +
    `<td class="c-links">${links.filter(Boolean).join(' ')}</td>` +
    `</tr>`
  );
}

const STYLE = `
:root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--panel:#f5f7fa;--line:#dde2ea;--accent:#2857a4;--flash:#fff1a8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 28px;padding:14px 28px;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{margin:0;font-size:21px}
header .sub{color:var(--muted);font-size:14px}
header nav{margin-left:auto;display:flex;gap:18px;flex-wrap:wrap}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
main{padding:8px 28px 40px}
.bar{display:flex;align-items:baseline;gap:14px;flex-wrap:wrap;margin:12px 0 8px}
.bar h2{margin:0;font-size:17px}
.muted,.count{color:var(--muted);font-size:13px}
.live{font-size:13px;color:var(--muted)}
.live.on{color:#1f7a4d}.live.on::before{content:"\\25CF  "}
.live.off{color:#9a5b00}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;border-bottom:1px solid var(--line);padding:7px 10px;vertical-align:top}
th{position:sticky;top:0;background:var(--bg);font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:2px solid var(--line)}
tbody tr:hover td{background:#fafbfd}
td.c-id{font-variant-numeric:tabular-nums;white-space:nowrap}
td.c-owner,td.c-expires,td.c-links{white-space:nowrap}
td.c-source{max-width:36em;overflow-wrap:anywhere}
.stype{display:inline-block;font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 5px;margin-right:2px}
.src{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.pkgs{color:var(--muted);font-size:12px;max-width:36em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.badge{display:inline-block;min-width:84px;text-align:center;font-size:12px;font-weight:600;border-radius:10px;padding:1px 9px;background:#eceff3;color:#444c5a}
.s-wait{background:#eceff3;color:#444c5a}
.s-generating{background:#dce8fb;color:#1d4f99}
.s-done{background:#dcf3e6;color:#17643e}
.s-failed{background:#fbe0de;color:#a3221b}
.s-removed{background:#f1f1f1;color:#8a8f98}
tr[data-state=removed] td{color:#8a8f98}
td.c-links a{margin-right:10px}
td.empty{color:var(--muted);text-align:center;padding:24px}
@keyframes flash{from{background:var(--flash)}to{background:transparent}}
td.changed,tr.new td{animation:flash 2.4s ease-out}
@media (max-width:760px){header,main{padding-left:12px;padding-right:12px}td.c-owner,th.c-owner{display:none}}
`;

// Runs in the browser: builds rows with DOM methods (textContent, so nothing needs escaping),
// mirroring renderRow() above.
const SCRIPT = `(function(){
'use strict';
var table=document.getElementById('composes');
var live=document.getElementById('live');
if(!table||!window.EventSource)return;
var tbody=table.tBodies[0];
var wfBase=table.getAttribute('data-workflow-base');
var limit=Number(table.getAttribute('data-limit'))||50;
var lastEvent=table.getAttribute('data-last-event-id')||'0';
var counter=document.getElementById('count');
var total=counter?Number(counter.getAttribute('data-total'))||0:0;
var firstRow=tbody.querySelector('tr[data-id]');
var maxId=firstRow?Number(firstRow.getAttribute('data-id')):0;
var TYPES=${JSON.stringify(SOURCE_TYPE_NAMES)};
function relative(ms){var s=Math.round(Math.abs(ms)/1000),t;if(s<1)return 'now';
if(s<60)t=s+' s';else if(s<5400)t=Math.round(s/60)+' min';else if(s<172800)t=Math.round(s/3600)+' h';else t=Math.round(s/86400)+' d';
return ms>=0?'in '+t:t+' ago';}
function absolute(iso){return iso.replace('T',' ').replace(/\\.\\d+/,'').replace(/Z$/,' UTC');}
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=String(text);return e;}
function href(u){if(typeof u!=='string'||!u)return null;if(u.charAt(0)==='/'&&u.charAt(1)!=='/')return u;
try{var p=new URL(u);return p.protocol==='http:'||p.protocol==='https:'?p.href:null;}catch(e){return null;}}
function link(u,text,title,cls){var h=href(u);if(!h)return null;var a=el('a',cls,text);a.href=h;a.title=title;return a;}
function td(cls){return el('td',cls);}
function row(c){
var tr=document.createElement('tr');var id=Number(c.id);var state=String(c.state_name||'');
tr.id='compose-'+id;tr.setAttribute('data-id',String(id));tr.setAttribute('data-state',state);
var a=link('/api/1/composes/'+id,String(id),'This compose as JSON','');var t=td('c-id');t.appendChild(a);tr.appendChild(t);
t=td('c-state');var b=el('span','badge s-'+state,state);b.title=c.state_reason||'';t.appendChild(b);tr.appendChild(t);
tr.appendChild(el('td','c-owner',c.owner));
t=td('c-source');t.appendChild(el('span','stype',TYPES[c.source_type]||c.source_type));t.appendChild(document.createTextNode(' '));
t.appendChild(el('span','src',c.source));
if(c.packages){var p=el('div','pkgs',c.packages);p.title=c.packages;t.appendChild(p);}tr.appendChild(t);
t=td('c-expires');if(c.time_to_expire){var tm=el('time',null,relative(Date.parse(c.time_to_expire)-Date.now()));
tm.setAttribute('datetime',c.time_to_expire);tm.title=absolute(c.time_to_expire);t.appendChild(tm);}tr.appendChild(t);
t=td('c-links');var links=[];
if(state==='done'){links.push(link(c.result_repofile,'.repo','The .repo file of this compose','l-repo'));links.push(link(c.toplevel_url,'tree','The compose tree','l-tree'));}
var wf='compose-'+id;links.push(link(wfBase+encodeURIComponent(wf),'workflow',wf+' in the Temporal UI','l-wf'));
links.filter(Boolean).forEach(function(l,i){if(i)t.appendChild(document.createTextNode(' '));t.appendChild(l);});
tr.appendChild(t);return tr;}
function apply(c){
if(!c||c.id==null)return;
var next=row(c);var old=document.getElementById('compose-'+c.id);
if(old){for(var i=0;i<next.cells.length;i++){if(!old.cells[i]||old.cells[i].innerHTML!==next.cells[i].innerHTML)next.cells[i].classList.add('changed');}
old.parentNode.replaceChild(next,old);return;}
var rows=tbody.querySelectorAll('tr[data-id]');var before=null;
for(var j=0;j<rows.length;j++){if(Number(rows[j].getAttribute('data-id'))<Number(c.id)){before=rows[j];break;}}
if(Number(c.id)>maxId){maxId=Number(c.id);total+=1;}
if(!before&&rows.length>=limit){count();return;}
var empty=document.getElementById('empty');if(empty)empty.parentNode.removeChild(empty);
next.classList.add('new');tbody.insertBefore(next,before);
rows=tbody.querySelectorAll('tr[data-id]');for(var k=rows.length-1;k>=limit;k--)tbody.removeChild(rows[k]);count();}
function count(){if(!counter)return;var shown=tbody.querySelectorAll('tr[data-id]').length;
counter.textContent=total===0?'none yet':shown<total?'the '+shown+' newest of '+total:total+' in all';}
function tick(){var times=tbody.querySelectorAll('time[datetime]');for(var i=0;i<times.length;i++){
times[i].textContent=relative(Date.parse(times[i].getAttribute('datetime'))-Date.now());}}
function status(on){if(!live)return;live.className='live '+(on?'on':'off');live.textContent=on?'Live':'Reconnecting\\u2026';}
var es=new EventSource('/api/1/events?last_event_id='+encodeURIComponent(lastEvent));
es.onopen=function(){status(true);};
es.onerror=function(){status(false);};
es.addEventListener('state-changed',function(e){try{apply(JSON.parse(e.data).compose);}catch(err){if(window.console)console.error(err);}});
setInterval(tick,30000);
})();`;

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
const CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function renderComposePage(opts: {
  composes: ComposeJson[];
  total: number;
  lastEventId: number;
  config: AppConfig;
  now?: Date;
}): string {
  const now = opts.now ?? new Date();
  const urls = pageUrls(opts.config);
  const rows = opts.composes.map((c) => renderRow(c, now, urls)).join('\n');
  const shown = opts.composes.length;
  const count = countText(shown, opts.total);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>Composes · odcs-flow</title><style>${STYLE}</style></head>
<body>
<header><h1>odcs-flow</h1><span class="sub">On Demand Compose Service</span>
<nav><a href="/api/1/composes/">API</a><a href="/api/1/">API docs</a><a href="/composes/">Compose trees</a>
<a href="${escapeHtml(urls.workflowsList)}" title="Filter with ComposeState='done' AND ComposeOwner='unknown'">Temporal UI</a></nav></header>
<main>
<div class="bar"><h2>Recent composes</h2><span id="count" class="count" data-total="${opts.total}">${escapeHtml(count)}</span><span id="live" class="live">Static view: reload the page for updates.</span></div>
<table id="composes" data-workflow-base="${escapeHtml(urls.workflowBase)}" data-limit="${PAGE_LIMIT}" data-last-event-id="${opts.lastEventId}">
<thead><tr><th class="c-id">ID</th><th class="c-state">State</th><th class="c-owner">Owner</th><th class="c-source">Source</th><th class="c-expires">Expires</th><th class="c-links">Links</th></tr></thead>
<tbody>
${rows || '<tr id="empty"><td class="empty" colspan="6">No composes yet. Create one with <code>POST /api/1/composes/</code>.</td></tr>'}
</tbody></table>
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}

export function composePageRoutes(deps: { config: AppConfig; settings: OdcsSettings; pool: pg.Pool }) {
  const { config, settings, pool } = deps;
  const app = createRouter();
  // GET only: Hono answers HEAD with the GET response minus its body.
  register(app, composePageRoute, async (c) => {
    // The outbox position first: a change after it is in the stream, even if the list shows it too.
    const lastEventId = await latestEventId(pool);
    const { items, total } = await listComposes(pool, {
      filters: {},
      orderBy: { column: 'id', descending: true },
      page: 1,
      perPage: PAGE_LIMIT,
      offset: 0,
    });
    const composes = items.map((row) =>
      composeToJson(row, {
        targetDirUrl: config.targetDirUrl,
        includeConfigDump: false,
        extraTargetDirNames: Object.keys(settings.extra_target_dirs),
      }),
    );
    const html = renderComposePage({ composes, total, lastEventId, config });
    return c.html(html, 200, {
      'Cache-Control': 'no-store',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
    });
  });
  return app;
}
