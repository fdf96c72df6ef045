export declare const TEMPORAL_SERVER_VERSION: string;
export declare const TEMPORAL_UI_SERVER_VERSION: string;
export interface ClusterTool {
  pkg: string;
  version: string;
  binary: string;
  env: string;
  file: string;
}
export declare const CLUSTER_TOOLS: Record<'server' | 'sqlTool' | 'uiServer', ClusterTool>;
export declare function clusterToolPath(name: 'server' | 'sqlTool' | 'uiServer'): string;
export declare function temporalSchemaDir(): string;
