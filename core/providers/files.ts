// Pure rules of the file-shaped providers (spec Part B section 1, items 8-11): the orphan item of
// a package from the orphan graph, fails-to-install timestamps, and which release-schedule event
// the landing page marks as current. The fetching and parsing live in activities/providers/.
import { formatDay, normalizeDate } from './items.js';

/** The `orphans` field of a package (v2 defaults plus the graph the v1 view shows). */
export interface OrphanItem {
  orphaned: boolean;
  depends_on_orphaned: boolean;
  orphaned_since: string | null;
  problematic_since: string | null;
  direct_dependencies: string[];
  remote_dependencies: string[];
  dot_graph: string;
  vis_js: { nodes: Array<{ id: string; label: string }>; edges: Array<{ from: string; to: string }> };
}

/**
 * What the orphans file says, as releng's find_unblocked_orphans.py writes it with `--json`
 * (pagure.io/releng scripts/find_unblocked_orphans.py: `{'status_change': sc, 'affected_packages': ap}`):
 * `status_change` maps each orphaned package to when it was orphaned (`datetime.isoformat()`, UTC,
 * no zone), `affected_packages` maps every package in a dependency chain (each orphan too, with
 * `[]` when it needs no other orphan) to the packages of the chain it requires directly.
 */
export interface OrphansFile {
  status_change: Record<string, string>;
  affected_packages: Record<string, string[]>;
}

/**
 * One item per package that is orphaned or depends on an orphaned package. A package's direct
 * dependencies are the chain packages it requires itself; remote ones are those it reaches only
 * through them.
 */
export function orphanItems(file: OrphansFile): Map<string, OrphanItem> {
  const orphans = new Set(Object.keys(file.status_change));
  // package -> chain packages it requires directly.
  const requires = new Map<string, Set<string>>();
  for (const [pkg, deps] of Object.entries(file.affected_packages)) {
    requires.set(pkg, new Set(deps.filter((d) => d !== pkg)));
  }
  const since = (p: string) => normalizeDate(file.status_change[p] ?? null);
  const out = new Map<string, OrphanItem>();
  for (const pkg of new Set([...orphans, ...requires.keys()])) {
    const direct = [...(requires.get(pkg) ?? [])].sort();
    const edges: Array<{ from: string; to: string }> = direct.map((d) => ({ from: pkg, to: d }));
    const reached = new Set(direct);
    const queue = [...direct];
    while (queue.length) {
      const o = queue.shift()!;
      for (const next of [...(requires.get(o) ?? [])].sort()) {
        edges.push({ from: o, to: next });
        if (next !== pkg && !reached.has(next)) {
          reached.add(next);
          queue.push(next);
        }
      }
    }
    const remote = [...reached].filter((o) => !direct.includes(o)).sort();
    const orphaned = orphans.has(pkg);
    const dates = [...(orphaned ? [since(pkg)] : []), ...[...reached].map(since)].filter((d): d is string => d !== null).sort();
    const nodes = [pkg, ...direct, ...remote].map((id) => ({ id, label: id }));
    out.set(pkg, {
      orphaned,
      depends_on_orphaned: direct.length > 0,
      orphaned_since: orphaned ? since(pkg) : null,
      problematic_since: dates[0] ?? null,
      direct_dependencies: direct,
      remote_dependencies: remote,
      dot_graph: `digraph {\n${edges.map((e) => `  "${e.from}" -> "${e.to}";`).join('\n')}${edges.length ? '\n' : ''}}`,
      vis_js: { nodes, edges },
    });
  }
  return out;
}

/**
 * RFC 3339 with up to nanoseconds, as fails-to-install writes them ("2024-05-01T10:00:00.123456789Z").
 * JavaScript dates stop at milliseconds, so the text is checked and kept as it is.
 */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** The instant of an RFC 3339 time with any number of fraction digits (truncated to milliseconds). */
export function parseRfc3339(s: string): Date | null {
  if (!RFC3339.test(s)) return null;
  const d = new Date(s.replace(/(\.\d{3})\d+/, '$1').replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A release-schedule event as cached. */
export interface ScheduleEvent {
  summary: string;
  /** "YYYY-MM-DD". */
  date: string;
}

/**
 * The landing page's schedule: events by date, the first one not yet past (today or later)
 * marked current; when every event is past, the last one is.
 */
export function landingSchedule(events: ScheduleEvent[], today: Date): Array<ScheduleEvent & { current: boolean }> {
  const sorted = [...events].sort((a, b) => (a.date === b.date ? 0 : a.date < b.date ? -1 : 1));
  const day = formatDay(today);
  let current = sorted.findIndex((e) => e.date >= day);
  if (current < 0) current = sorted.length - 1;
  return sorted.map((e, i) => ({ summary: e.summary, date: e.date, current: i === current }));
}
