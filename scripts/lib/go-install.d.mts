export declare function goInstall(opts: { pkg: string; version: string; target: string; binary: string; ldflags?: string; cwd?: string }): string | null;
