// A faithful port of rpm's version comparison (rpmio/rpmvercmp.c, lib/rpmver.c,
// lib/rpmds.c) so that "highest EVR" and "dependency satisfied" agree with what
// dnf/rpm will decide when the compose is consumed.
import type { Dep, DepFlag } from './types.js';

const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string) => isDigit(c) || isAlpha(c);

/** rpmvercmp(): -1, 0 or 1. Handles `~` (sorts before anything) and `^` (after the end, before anything else). */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Separators (anything not alnum, ~ or ^) are skipped and only delimit segments.
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;

    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;

    const si = i;
    const sj = j;
    const isNum = isDigit(a[i]);
    const cls = isNum ? isDigit : isAlpha;
    while (i < a.length && cls(a[i])) i++;
    while (j < b.length && cls(b[j])) j++;
    // A numeric segment is always newer than an alpha one.
    if (sj === j) return isNum ? 1 : -1;

    let s1 = a.slice(si, i);
    let s2 = b.slice(sj, j);
    if (isNum) {
      s1 = s1.replace(/^0+/, '');
      s2 = s2.replace(/^0+/, '');
      if (s1.length !== s2.length) return s1.length > s2.length ? 1 : -1;
    }
    if (s1 !== s2) return s1 < s2 ? -1 : 1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface EVR {
  epoch?: string;
  version: string;
  release?: string;
}

/**
 * rpmverCmp(): a missing epoch is 0; a missing (or empty) release on either
 * side makes releases compare equal, so `foo >= 1.0` matches any 1.0-*.
 */
export function compareEVR(a: EVR, b: EVR): -1 | 0 | 1 {
  const rc = rpmvercmp(a.epoch || '0', b.epoch || '0');
  if (rc) return rc;
  const rv = rpmvercmp(a.version, b.version);
  if (rv) return rv;
  if (a.release && b.release) return rpmvercmp(a.release, b.release);
  return 0;
}

/** Parses "[epoch:]version[-release]" as written in spec files and rich deps. */
export function parseEVR(s: string): EVR {
  let rest = s;
  let epoch: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0 && /^\d*$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon) || undefined;
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) || undefined };
  return { epoch, version: rest };
}

const LESS = 2;
const GREATER = 4;
const EQUAL = 8;
const SENSE: Record<DepFlag, number> = { LT: LESS, LE: LESS | EQUAL, EQ: EQUAL, GE: GREATER | EQUAL, GT: GREATER };

const depEVR = (d: Dep): EVR => ({ epoch: d.epoch, version: d.version ?? '', release: d.release });
const versioned = (d: Dep) => d.flags !== undefined && !!d.version;

/**
 * rpmdsCompare(): do the ranges of a provide and a require overlap? Names must
 * be equal (the caller looks providers up by name). Unversioned on either
 * side always matches.
 */
export function rangesOverlap(provide: Dep, require: Dep): boolean {
  if (provide.name !== require.name) return false;
  if (!versioned(provide) || !versioned(require)) return true;
  const a = SENSE[provide.flags!];
  const b = SENSE[require.flags!];
  const sense = compareEVR(depEVR(provide), depEVR(require));
  if (sense < 0) return !!(a & GREATER) || !!(b & LESS);
  if (sense > 0) return !!(a & LESS) || !!(b & GREATER);
  return !!((a & EQUAL && b & EQUAL) || (a & LESS && b & LESS) || (a & GREATER && b & GREATER));
}

const OPS: Record<DepFlag, string> = { EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=' };
const FLAGS: Record<string, DepFlag> = { '=': 'EQ', '==': 'EQ', '<': 'LT', '<=': 'LE', '=<': 'LE', '>': 'GT', '>=': 'GE', '=>': 'GE' };

/** Operator text ("<=") to flag ("LE"), or undefined if not an operator. */
export const flagFromOp = (op: string): DepFlag | undefined => FLAGS[op];

/** "name >= 1:2.0-3" — epoch 0 is omitted to read like the spec file did. */
export function formatDep(d: Dep): string {
  if (!d.flags || !d.version) return d.name;
  const epoch = d.epoch && d.epoch !== '0' ? `${d.epoch}:` : '';
  const release = d.release ? `-${d.release}` : '';
  return `${d.name} ${OPS[d.flags]} ${epoch}${d.version}${release}`;
}
