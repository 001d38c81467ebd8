// Types of make-icons.mjs for the TypeScript code that calls it (its tests).
export declare const SOURCE: string;
export declare const STATE_COLOURS: Record<'grey' | 'blue' | 'green' | 'amber' | 'red', string>;
export declare const TRAY_SIZES: number[];
export declare const APP_SIZES: number[];
export declare const ICNS_TYPES: Array<[string, number]>;
export declare function crc32(buf: Uint8Array): number;
export declare function encodePng(rgba: Buffer, size: number): Buffer;
export declare function encodeIco(images: Array<{ size: number; png: Buffer }>): Buffer;
export declare function encodeIcns(pngBySize: Map<number, Buffer>): Buffer;
export declare function makeIcons(options?: { outDir?: string; source?: string }): string[];
