// Types of stage-desktop.mjs for the TypeScript code that calls it (its tests).
import type { AddonCheck } from './native-abi.mjs';
export declare const LEFT_OUT: Set<string>;
export declare const DEFAULT_GPU: string[];
export declare function llamaBinaryWanted(name: string, platform: string, arch: string, options?: { gpu?: string[]; cudaExt?: boolean }): boolean;
export declare function folderSize(dir: string): number;
export declare function mb(bytes: number): string;
export interface StageResult {
  outdir: string;
  platform: string;
  arch: string;
  electronVersion: string;
  abi: number;
  size: number;
  llamaSize: number;
  rebuilt: string[];
  failures: string[];
  problems: string[];
  addons: AddonCheck[];
}
export declare function stageDesktop(options?: { outdir?: string; platform?: string; arch?: string; gpu?: string[]; cudaExt?: boolean; rebuild?: boolean; log?: (line: string) => void }): Promise<StageResult>;
export declare function notBuildableMessage(result: StageResult): string;
