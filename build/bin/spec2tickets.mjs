#!/usr/bin/env node
// Launcher for `npx spec2tickets`: runs the TypeScript CLI through tsx's API (no build step).
import { tsImport } from 'tsx/esm/api';

const { runCli } = await tsImport('../../core/cli/main.ts', import.meta.url);
process.exitCode = await runCli(process.argv);
