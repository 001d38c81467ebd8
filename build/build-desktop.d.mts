// Types of build-desktop.mjs for the TypeScript code that calls it (its test).
export declare const DESKTOP_ENTRIES: { main: string; backendProcess: string; parseThread: string; draftThread: string };
/** Bundles the desktop entries into outdir (dist/app by default); returns the absolute paths written. */
export declare function buildDesktop(options?: { outdir?: string; minify?: boolean }): Promise<string[]>;
