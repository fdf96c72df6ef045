// The messages between the main thread (file-threads.ts) and the file threads (file-worker.ts):
// plain data only, since they cross threads.
import type { RepomdEntry } from './repodata.js';

/** One metadata type to derive for every tree of a compose (derive.ts). */
export interface DeriveJob {
  type: 'primary' | 'filelists' | 'other';
  /** The trees' os/ dirs. */
  osDirs: string[];
  /** The trees' packages, encoded by derive.ts (encodeWanted). */
  wanted: string;
  /** The sources the trees' packages come from, in order, with their file of this type. */
  repos: Array<{ path: string; entry: RepomdEntry }>;
  now: number;
}

/** A written repodata file, as repomd.xml lists it. */
export type DerivedFile = RepomdEntry & { timestamp: number };

export type FileJob =
  /**
   * `checks`: encodeFileChecks' text of the slice's files to check as `mode` says (empty: none);
   * `links`: source and destination paths, NUL-separated in turn.
   */
  | { id: number; kind: 'place'; mode?: 'header' | 'size'; checks: string; links: string }
  | { id: number; kind: 'derive'; job: DeriveJob }
  /** Stops the derive job `target` (no answer of its own: the job answers with the abort). */
  | { id: number; kind: 'cancel'; target: number };

export interface FileJobResult {
  id: number;
  failure?: { message: string; generation: boolean; code?: string };
  files?: DerivedFile[];
}
