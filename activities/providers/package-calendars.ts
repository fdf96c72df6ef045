// package_calendars: one ICS file per package at <CALENDARS_URL>/<pkg>.ics (pagure.io/package-calendars).
// A package without a calendar (404) is null; otherwise its events as
// {date, summary, url|null, calendar_name} (spec Part B section 3, "Calendar event"). Few packages
// have one: with CALENDARS_INDEX_URL, a sweep reads Pagure's file listing of the calendars' folder
// (GET /api/0/<repo>/tree/<branch>[/f/<folder>], {content: [{name, path, type}]}) in one request
// and asks only for the files it lists; the others are null without a request. Without the
// listing, or when it fails, every package is asked (conditionally; 404s remembered).
import { z } from 'zod';
import { isUpstreamFailure, mapLimit, parseUpstream, runConditional, type UpstreamClient } from './http.js';
import { parseIcs } from './ics.js';
import type { BatchItem, BatchOutcome, PackageProviderModule, ProviderEnv } from './types.js';

export const calendarUrl = (base: string, pkg: string) => `${base}/${encodeURIComponent(pkg)}.ics`;

export const pagureTreeSchema = z.looseObject({
  content: z.array(z.looseObject({ name: z.string(), type: z.string() })),
});

/** Each package's calendar, conditionally on its last fetch; upstream failures fail that package only. */
async function eachPackage(client: UpstreamClient, env: ProviderEnv, items: BatchItem[], today: Date, out: Map<string, BatchOutcome>): Promise<void> {
  await mapLimit(items, Math.max(1, client.settings.concurrency), async (i) => {
    try {
      out.set(i.pkg, await runConditional(client, i.previous, i.plan, (ctx) => packageCalendars.fetch(ctx, env, i.pkg), today));
    } catch (err) {
      if (!isUpstreamFailure(err)) throw err;
      out.set(i.pkg, { error: err });
    }
  });
}

export const packageCalendars: PackageProviderModule = {
  name: 'package_calendars',
  plan: async (env) => JSON.stringify([env.urls.calendars]),
  async fetch(ctx, env, pkg) {
    const url = calendarUrl(env.urls.calendars!, pkg);
    const text = await ctx.getText(url, { allow404: true });
    if (text === null) return null;
    const cal = parseIcs(text, url);
    return cal.events.map((e) => ({ date: e.date, summary: e.summary, url: e.url, calendar_name: cal.name ?? pkg }));
  },
  async fetchBatch(client, env, items, today) {
    const index = env.urls.calendarsIndex;
    if (index === null) return null;
    const out = new Map<string, BatchOutcome>();
    let files: Set<string> | null = null;
    try {
      const listed = await runConditional(client, null, 'index', async (ctx) => parseUpstream(pagureTreeSchema, await ctx.get(index), index).content, today);
      if (listed.unchanged) throw new Error('unreachable: an unconditional fetch is never unchanged');
      files = new Set(listed.value.filter((f) => f.type === 'file').map((f) => f.name));
    } catch (err) {
      // Without the listing, every package is asked on its own.
      if (!isUpstreamFailure(err)) throw err;
    }
    // A listed file is asked even when its 404 is remembered (it appeared since).
    const had404 = (i: BatchItem) => Object.values(i.previous?.urls ?? {}).some((v) => v.status === 404);
    const listed = files === null ? items : items.filter((i) => files.has(`${i.pkg}.ics`)).map((i) => (had404(i) ? { ...i, previous: null } : i));
    if (files !== null) for (const i of items) if (!files.has(`${i.pkg}.ics`)) out.set(i.pkg, { unchanged: false, value: null, validators: { plan: i.plan, urls: {} } });
    await eachPackage(client, env, listed, today, out);
    return out;
  },
};
