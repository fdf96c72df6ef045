export declare const DIST: string;
export declare function buildIsCurrent(): boolean;
export declare function ensureBuild(opts?: { log?: (msg: string) => void; force?: boolean }): string | null;
