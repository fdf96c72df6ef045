export declare const TEMPORAL_CLI_VERSION: string;
export declare function cacheDir(): string;
export declare function temporalCliPath(): string;
export declare const DEBIAN_TOOLS: Array<{ command?: string; file?: string; pkg: string }>;
