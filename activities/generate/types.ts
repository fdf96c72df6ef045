// Shared record types for the generator. Kept free of I/O so depsolve can be
// unit-tested with synthetic data.

export type DepFlag = 'EQ' | 'LT' | 'LE' | 'GT' | 'GE';

/** One provides/requires entry as written in primary.xml. */
export interface Dep {
  name: string;
  flags?: DepFlag;
  epoch?: string;
  version?: string;
  release?: string;
  /** Requires(pre) etc. Kept for information only: it does not change solving. */
  pre?: boolean;
}

/** A binary or source package as described by a repo's primary metadata. */
export interface PackageRecord {
  name: string;
  epoch: string; // "0" when absent
  version: string;
  release: string;
  arch: string;
  /** Absolute path of the .rpm file on disk. */
  location: string;
  /** Path of the .rpm relative to its repo (location href). */
  href: string;
  /** The repo (absolute path) the record was read from. */
  repo: string;
  pkgid?: string;
  /** Whether pkgid is set, told without building it (records of a PackageStore); absent on plain records. */
  hasPkgid?: boolean;
  /** Checksum type of pkgid (sha256 usually). */
  checksumType?: string;
  /** Size of the .rpm file in bytes, from metadata. */
  size?: number;
  sourcerpm?: string;
  /** Byte range of the RPM's main header (`<rpm:header-range>`), when the metadata gives it. */
  headerStart?: number;
  headerEnd?: number;
  provides: Dep[];
  requires: Dep[];
  /** Obsoletes, when the package has any. */
  obsoletes?: Dep[];
  /**
   * Set when the placed file is not the one the source metadata describes (a Koji signed copy):
   * the source's pkgid, while pkgid/size and headerRange are the placed file's.
   */
  sourcePkgid?: string;
  headerRange?: { start: number; end: number };
  /** Files listed in primary (only /etc, *bin/* ...) unless filelists were merged in. */
  files: string[];
}
