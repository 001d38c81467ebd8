// `node --import ./registerElectronStandIn.mjs dist/app/main.mjs`: an ESM loader hook that makes
// `import … from 'electron'` load the stand-in (electronStandIn.mjs) instead of the Electron package.
import { register } from 'node:module';

const standIn = new URL('./electronStandIn.mjs', import.meta.url).href;
register(
  `data:text/javascript,${encodeURIComponent(
    `export async function resolve(specifier, context, next) { if (specifier === 'electron') return { url: ${JSON.stringify(standIn)}, shortCircuit: true }; return next(specifier, context); }`,
  )}`,
);
