// ICS files (the release schedule, package calendars) read with ical.js: a calendar's name and
// its events as {summary, date, url}. A file ical.js cannot read, or events without a summary or
// a start, are malformed upstream data naming the problem.
import ICAL from 'ical.js';
import { z } from 'zod';
import { formatDay } from '../../core/providers/items.js';
import { MalformedUpstreamError, parseUpstream } from './http.js';

export const icsEventSchema = z.object({
  summary: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  url: z.string().nullable(),
});
export const icsCalendarSchema = z.object({ name: z.string().nullable(), events: z.array(icsEventSchema) });
export type IcsCalendar = z.output<typeof icsCalendarSchema>;

/** Events sorted by date, then summary. */
export function parseIcs(text: string, url: string): IcsCalendar {
  let cal: ICAL.Component;
  try {
    cal = new ICAL.Component(ICAL.parse(text));
  } catch (err) {
    throw new MalformedUpstreamError(`GET ${url}: not a readable ICS file (${(err as Error).message.slice(0, 200)})`, url);
  }
  if (cal.name !== 'vcalendar') throw new MalformedUpstreamError(`GET ${url}: not a VCALENDAR (found ${JSON.stringify(cal.name)})`, url);
  const events = cal.getAllSubcomponents('vevent').map((v, i) => {
    let start: ICAL.Time | null;
    try {
      start = v.getFirstPropertyValue('dtstart') as ICAL.Time | null;
    } catch (err) {
      throw new MalformedUpstreamError(`GET ${url}: event ${i + 1}: unreadable DTSTART (${(err as Error).message})`, url);
    }
    const summary = v.getFirstPropertyValue('summary');
    const link = v.getFirstPropertyValue('url');
    return {
      summary: typeof summary === 'string' ? summary.trim() : '',
      // Dates are days; date-times are given the day they fall on in UTC.
      date: start && typeof start.toJSDate === 'function' ? (start.isDate ? start.toString() : formatDay(start.toJSDate())) : '',
      url: typeof link === 'string' && link ? link : null,
    };
  });
  const name = cal.getFirstPropertyValue('x-wr-calname');
  const parsed = parseUpstream(icsCalendarSchema, { name: typeof name === 'string' && name ? name : null, events }, url);
  parsed.events.sort((a, b) => (a.date === b.date ? a.summary.localeCompare(b.summary) : a.date < b.date ? -1 : 1));
  return parsed;
}
