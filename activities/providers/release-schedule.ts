// release_schedule: the Fedora release schedule as one ICS file (SCHEDULE_URL, full URL). The meta
// row holds its events [{summary, date}]; the landing page marks the current one when it answers.
import type { ScheduleEvent } from '../../core/providers/files.js';
import { parseIcs } from './ics.js';
import type { GlobalProviderModule } from './types.js';

export const releaseSchedule: GlobalProviderModule = {
  name: 'release_schedule',
  plan: (env) => JSON.stringify([env.urls.schedule]),
  async fetch(ctx, env) {
    const url = env.urls.schedule!;
    const cal = parseIcs((await ctx.getText(url))!, url);
    const events: ScheduleEvent[] = cal.events.map((e) => ({ summary: e.summary, date: e.date }));
    return { meta: { name: cal.name, events }, entries: null };
  },
};
