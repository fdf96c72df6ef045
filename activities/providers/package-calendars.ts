// package_calendars: one ICS file per package at <CALENDARS_URL>/<pkg>.ics (pagure.io/package-calendars).
// A package without a calendar (404) is null; otherwise its events as
// {date, summary, url|null, calendar_name} (spec Part B section 3, "Calendar event").
import { parseIcs } from './ics.js';
import type { PackageProviderModule } from './types.js';

export const calendarUrl = (base: string, pkg: string) => `${base}/${encodeURIComponent(pkg)}.ics`;

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
};
