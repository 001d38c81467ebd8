// Points the Forge app at one customer's Spec2Tickets backend: writes the backend's host into
// forge/manifest.yml (permissions.external.fetch.backend — Forge lets the app's functions fetch
// from the hosts listed there and nowhere else), checks the manifest against the schema the Forge
// CLI uses, and prints the register / deploy / install steps. Each customer deploys their own copy
// of the app (docs/forge.md explains why and the alternatives).
//
//   npm run forge:configure -- --backend https://s2t.customer.example [--app <dir>]

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIP } from 'node:net';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export class ConfigureError extends Error {}

/** The backend URL as the admin page will store it, or why it cannot be used from Forge. */
export function checkBackendUrl(raw) {
  let u;
  try {
    u = new URL(String(raw ?? '').trim());
  } catch {
    throw new ConfigureError(`"${String(raw ?? '').slice(0, 100)}" is not a web address; give the public address of your Spec2Tickets backend, e.g. --backend https://s2t.acme.example.`);
  }
  if (u.protocol !== 'https:') throw new ConfigureError(`The backend must be reached over https:// (the API key travels with every request); got ${u.protocol}//${u.host}.`);
  if (u.username || u.password) throw new ConfigureError('Leave user name and password out of the address; the API key is entered on the admin page.');
  const why = privateHostReason(u.hostname);
  if (why) throw new ConfigureError(`Forge runs the app in Atlassian's cloud, which cannot reach ${u.hostname} (${why}). Give the public https address of the reverse proxy in front of the backend.`);
  return u;
}

/** Why a host is unreachable from Atlassian's cloud, or null when it may be public. */
export function privateHostReason(hostname) {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return 'it is this machine';
  if (h.endsWith('.local') || h.endsWith('.internal') || h.endsWith('.lan') || h.endsWith('.home.arpa')) return 'a name that only resolves inside a local network';
  if (isIP(h) === 4) {
    const [a, b] = h.split('.').map(Number);
    if (a === 127) return 'a loopback address';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'a private network address';
    if (a === 169 && b === 254) return 'a link-local address';
    if (a === 0) return 'not a host address';
  }
  if (isIP(h) === 6) {
    if (h === '::1') return 'a loopback address';
    if (/^f[cd]/.test(h)) return 'a private network address';
    if (/^fe[89ab]/.test(h)) return 'a link-local address';
  }
  if (!h.includes('.') && isIP(h) === 0) return 'a name without a domain, which only resolves inside a local network';
  return null;
}

/** Writes the host into the manifest text, keeping its comments; returns the new text. */
export function configureManifest(text, backendUrl, yaml) {
  const doc = yaml.parseDocument(text);
  const address = `https://${backendUrl.hostname}`;
  const list = doc.getIn(['permissions', 'external', 'fetch', 'backend'], true);
  const entry = doc.createNode({ address });
  if (yaml.isSeq(list)) {
    // The first entry is the backend's; others the customer added (a relay, say) stay.
    const first = list.items[0];
    if (first && first.commentBefore) entry.commentBefore = first.commentBefore;
    list.items.splice(0, 1, entry);
  } else {
    doc.setIn(['permissions', 'external', 'fetch', 'backend'], doc.createNode([{ address }]));
  }
  return doc.toString({ lineWidth: 0 });
}

function validateManifest(manifest, requireFromApp) {
  const requireRoot = createRequire(join(root, 'package.json'));
  const schemaPath = (() => {
    try {
      return requireFromApp.resolve('@forge/manifest/schema.json');
    } catch {
      return requireRoot.resolve('@forge/manifest/schema.json');
    }
  })();
  const { Ajv } = requireRoot('ajv');
  const addFormats = requireRoot('ajv-formats');
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats.default ?? addFormats)(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
  if (!validate(manifest)) throw new ConfigureError(`The manifest does not match Forge's manifest schema after the change: ${ajv.errorsText(validate.errors?.slice(0, 5))}`);
}

export function configure({ backend, appDir = join(root, 'forge') }) {
  const url = checkBackendUrl(backend);
  const requireFromApp = createRequire(join(resolve(appDir), 'package.json'));
  const requireRoot = createRequire(join(root, 'package.json'));
  const yaml = requireRoot('yaml');
  const file = join(resolve(appDir), 'manifest.yml');
  const next = configureManifest(readFileSync(file, 'utf8'), url, yaml);
  validateManifest(yaml.parse(next), requireFromApp);
  writeFileSync(file, next);
  return { file, url };
}

function main(argv) {
  const arg = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const backend = arg('--backend');
  if (!backend) throw new ConfigureError('Say where your Spec2Tickets backend is: npm run forge:configure -- --backend https://s2t.acme.example');
  const appDir = resolve(arg('--app') ?? join(root, 'forge'));
  const { file, url } = configure({ backend, appDir });
  const dir = relative(process.cwd(), appDir) || '.';
  console.log(`Wrote https://${url.hostname} into ${relative(process.cwd(), file)} (permissions.external.fetch.backend); the manifest matches Forge's schema.

Next steps (Forge CLI: npm install -g @forge/cli, which needs Node 22 or later):
  cd ${dir}
  npm ci                                   # the app's own dependencies
  forge login                              # once, with an Atlassian API token
  forge register "Spec2Tickets"            # once: gives this copy its own app id
  forge deploy -e production
  forge install -e production --product confluence --site <your-site>.atlassian.net

Then, on Confluence as a site admin: Settings → Spec2Tickets → Backend URL ${url.origin}${url.pathname.replace(/\/+$/, '')}, an API key from Spec2Tickets (API keys), and the Jira project key.
Changing the host later means running this again and deploying again; Confluence asks an admin to accept the new permission.`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
