// The items oraculum serves (spec Part B section 3, "Items"), and the pure rules that build them:
// date format, priority_severity, ABRT outliers, release-version tables. Pure.

export interface BugItem {
  bug_id: number;
  title: string;
  url: string;
  status: string;
  severity: string;
  priority: string;
  priority_severity: string;
  keywords: string[];
  release: string;
  reported: string;
  modified: string;
  comments: number;
  private: boolean;
}

export interface UpdateItem {
  updateid: string;
  pretty_name: string;
  url: string;
  release: string;
  status: string;
  type: string;
  karma: number;
  comments: number;
  submission_date: string | null;
  stable_by_time: string | null;
  builds_nvrs: string[];
}

export interface OverrideItem {
  pretty_name: string;
  url: string;
  release: string;
  submission_date: string | null;
  expiration_date: string | null;
}

export interface PrItem {
  title: string;
  url: string;
  author: string;
  release: string;
  date_created: string | null;
  last_updated: string | null;
  comments: number;
  ci_status: Record<string, string | null>;
}

export interface KoscheiItem {
  release: string;
  status: string;
  url: string;
  last_success: { time: string | null; url: string | null } | null;
}

export interface AbrtProblem {
  id: number;
  count: number;
  crash_function: string;
  url: string;
}

export interface AbrtReports {
  outstanding_problems: AbrtProblem[];
  problems_present: boolean;
  retrace_link: string;
}

/** {"Fedora 41": {"stable": nvr|null, "testing": nvr|null}, ...} */
export type PackageVersions = Record<string, { stable: string | null; testing: string | null }>;

/** The open bug states the dashboard asks Bugzilla for. */
export const OPEN_BUG_STATES = ['NEW', 'ASSIGNED', 'POST', 'MODIFIED', 'ON_QA', 'ON_DEV', 'VERIFIED', 'RELEASE_PENDING'];

const PRIORITY_ORDER = ['unspecified', 'low', 'medium', 'high', 'urgent'];

/** The higher of priority and severity; unknown values count as unspecified. */
export function prioritySeverity(priority: string, severity: string): string {
  const rank = (s: string) => Math.max(0, PRIORITY_ORDER.indexOf(s.toLowerCase()));
  return PRIORITY_ORDER[Math.max(rank(priority), rank(severity))];
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "YYYY-MM-DD HH:MM:SS" in UTC. */
export function formatDate(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** "YYYY-MM-DD" in UTC. */
export function formatDay(d: Date): string {
  return formatDate(d).slice(0, 10);
}

/** An upstream date (ISO 8601, "YYYY-MM-DD HH:MM:SS" meaning UTC, or epoch seconds) as "YYYY-MM-DD HH:MM:SS"; null when absent or unreadable. */
export function normalizeDate(v: string | number | null | undefined): string | null {
  if (v === null || v === undefined || v === '') return null;
  let d: Date;
  if (typeof v === 'number' || /^\d+(\.\d+)?$/.test(v)) d = new Date(Number(v) * 1000);
  // Without a zone (Bodhi's dates, Python's utc isoformat()) the time is UTC, not the local time.
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v)) d = new Date(`${v.replace(' ', 'T').replace(/(\.\d{3})\d+$/, '$1')}Z`);
  else d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : formatDate(d);
}

/** When an update in testing goes stable by itself (autotime): date_testing + stable_days; null otherwise. */
export function stableByTime(u: { status: string; autotime?: boolean | null; stable_days?: number | null; date_testing?: string | null }): string | null {
  if (u.status !== 'testing' || !u.autotime || !u.stable_days || !u.date_testing) return null;
  const start = normalizeDate(u.date_testing);
  if (!start) return null;
  return formatDate(new Date(Date.parse(`${start.replace(' ', 'T')}Z`) + u.stable_days * 86_400_000));
}

/** The FAF window of the dashboard: the last 30 days, as FAF's daterange "YYYY-MM-DD:YYYY-MM-DD". */
export function abrtDateRange(today: Date): string {
  return `${formatDay(new Date(today.getTime() - 30 * 86_400_000))}:${formatDay(today)}`;
}

/** The cut of the dashboard's ABRT outliers: more occurrences than the mean plus 2.7 standard deviations. */
export const ABRT_SIGMA = 2.7;

/**
 * Problems whose count is an outlier among the package's problems: count > mean + 2.7 sigma
 * (population standard deviation). With fewer than two problems nothing stands out.
 */
export function abrtOutliers<T extends { count: number }>(problems: T[]): T[] {
  if (problems.length < 2) return [];
  const mean = problems.reduce((s, p) => s + p.count, 0) / problems.length;
  const variance = problems.reduce((s, p) => s + (p.count - mean) ** 2, 0) / problems.length;
  const sigma = Math.sqrt(variance);
  if (sigma === 0) return [];
  return problems.filter((p) => p.count > mean + ABRT_SIGMA * sigma).sort((a, b) => b.count - a.count);
}
