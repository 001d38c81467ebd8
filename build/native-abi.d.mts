// Types of native-abi.mjs for the TypeScript code that calls it (its tests).
export type AddonKind = { kind: 'napi' } | { kind: 'abi'; abi: number } | { kind: 'none' };
export declare function readAddonAbi(file: string): AddonKind;
export declare function findAddons(dir: string, gypPackages?: string[]): string[];
export declare function electronAbi(electronVersion: string, root: string): number;
export interface AddonCheck {
  file: string;
  pkg: string;
  kind: AddonKind['kind'];
  abi?: number;
  ok: boolean;
}
export declare function checkAddonTree(nodeModules: string, target: { abi: number; runtime: string }): { addons: AddonCheck[]; problems: string[] };
