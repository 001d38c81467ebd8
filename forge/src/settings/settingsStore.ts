// The app's settings in Forge storage: backend URL and Jira project key as plain values, the API
// key as a KVS secret that is written here and read only to call the backend — it never goes back
// to a browser. Input from the admin page is validated here, at the boundary.

/** The part of @forge/kvs this module uses, so storage is passed in rather than imported. */
export interface SettingsKvs {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T): Promise<unknown>;
  getSecret<T>(key: string): Promise<T | undefined>;
  setSecret<T>(key: string, value: T): Promise<unknown>;
}

export interface StoredSettings {
  backendUrl: string;
  jiraProjectKey: string;
  updatedAt: string;
  updatedBy: string | null;
}

/** What the admin page sees: everything but the key, of which only its presence is told. */
export interface SettingsView {
  backendUrl: string | null;
  jiraProjectKey: string | null;
  apiKeySet: boolean;
  updatedAt: string | null;
}

export interface SettingsInput {
  backendUrl: string;
  jiraProjectKey: string;
  /** Empty or absent keeps the key already saved. */
  apiKey?: string;
}

export interface FieldProblem {
  field: 'backendUrl' | 'jiraProjectKey' | 'apiKey';
  message: string;
}

/** Everything needed to call the backend, or why it cannot be called yet. */
export type Connection = { ok: true; backendUrl: string; apiKey: string; jiraProjectKey: string } | { ok: false; message: string };

const SETTINGS_KEY = 'settings';
const API_KEY_SECRET = 'backend-api-key';
const API_KEY_PREFIX = 's2t_';

export async function readSettings(kvs: SettingsKvs): Promise<SettingsView> {
  const [s, key] = await Promise.all([kvs.get<StoredSettings>(SETTINGS_KEY), kvs.getSecret<string>(API_KEY_SECRET)]);
  return { backendUrl: s?.backendUrl ?? null, jiraProjectKey: s?.jiraProjectKey ?? null, apiKeySet: typeof key === 'string' && key.length > 0, updatedAt: s?.updatedAt ?? null };
}

export async function readConnection(kvs: SettingsKvs): Promise<Connection> {
  const [s, key] = await Promise.all([kvs.get<StoredSettings>(SETTINGS_KEY), kvs.getSecret<string>(API_KEY_SECRET)]);
  if (!s?.backendUrl) return { ok: false, message: 'Spec2Tickets is not connected yet: a Confluence admin must set the backend URL and API key on the Spec2Tickets admin page.' };
  if (!key) return { ok: false, message: 'Spec2Tickets has no API key: a Confluence admin must paste one on the Spec2Tickets admin page.' };
  return { ok: true, backendUrl: s.backendUrl, apiKey: key, jiraProjectKey: s.jiraProjectKey };
}

export type ValidatedSettings = { backendUrl: string; jiraProjectKey: string; apiKey: string | null };

/** Checks the admin page's form; `hasSavedKey` decides whether an empty key field is allowed. */
export function validateSettingsInput(input: unknown, hasSavedKey: boolean): { ok: true; value: ValidatedSettings } | { ok: false; problems: FieldProblem[] } {
  const o = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const backendUrl = checkBackendUrl(o.backendUrl);
  if (typeof backendUrl !== 'string') problems.push(backendUrl);
  const projectKey = typeof o.jiraProjectKey === 'string' ? o.jiraProjectKey.trim().toUpperCase() : '';
  if (!/^[A-Z][A-Z0-9_]{1,9}$/.test(projectKey)) {
    problems.push({ field: 'jiraProjectKey', message: 'The Jira project key is 2–10 characters: a letter first, then letters, digits or underscores (e.g. PAY).' });
  }
  const rawKey = typeof o.apiKey === 'string' ? o.apiKey.trim() : '';
  if (rawKey === '' && !hasSavedKey) problems.push({ field: 'apiKey', message: 'Paste an API key created in Spec2Tickets (API keys).' });
  if (rawKey !== '' && (!rawKey.startsWith(API_KEY_PREFIX) || rawKey.length < 30 || rawKey.length > 200 || /\s/.test(rawKey))) {
    problems.push({ field: 'apiKey', message: 'This is not a Spec2Tickets API key: they start with s2t_ and are about 50 characters long. Copy it again from Spec2Tickets (API keys).' });
  }
  if (problems.length > 0 || typeof backendUrl !== 'string') return { ok: false, problems };
  return { ok: true, value: { backendUrl, jiraProjectKey: projectKey, apiKey: rawKey === '' ? null : rawKey } };
}

function checkBackendUrl(raw: unknown): string | FieldProblem {
  const bad = (message: string): FieldProblem => ({ field: 'backendUrl', message });
  if (typeof raw !== 'string' || raw.trim() === '') return bad('Enter the address of the Spec2Tickets backend, e.g. https://spec2tickets.acme.example.');
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return bad(`"${raw.trim().slice(0, 100)}" is not a web address; it should look like https://spec2tickets.acme.example.`);
  }
  if (u.protocol !== 'https:') return bad('The backend must be reached over https:// (the API key travels with every request).');
  if (u.username || u.password) return bad('Leave user name and password out of the address; the API key is entered separately.');
  // Forge runs the app in Atlassian's cloud: an address of the backend's own machine or network means nothing there.
  const why = privateHostReason(u.hostname);
  if (why) return bad(`Forge runs this app in Atlassian's cloud, which cannot reach ${u.hostname} (${why}). Enter the public https address of the reverse proxy in front of the backend.`);
  if (u.search || u.hash) return bad('The backend address cannot have a query (?…) or fragment (#…).');
  const path = u.pathname.replace(/\/+$/, '');
  if (/\/v1$/.test(path)) return bad('Enter the address without /v1 at the end; the app adds it.');
  return `${u.protocol}//${u.host}${path}`;
}

/** Why a host cannot be reached from Atlassian's cloud, or null when it may be public. */
export function privateHostReason(hostname: string): string | null {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return 'it names the machine itself';
  if (/\.(local|internal|lan|home\.arpa)$/.test(h)) return 'a name that only resolves inside a local network';
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(h);
  if (v4) {
    const a = Number(v4[1]);
    const b = Number(v4[2]);
    if (a === 127) return 'a loopback address';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'a private network address';
    if (a === 169 && b === 254) return 'a link-local address';
    if (a === 0) return 'not a host address';
    return null;
  }
  if (h.includes(':')) {
    if (h === '::1') return 'a loopback address';
    if (/^f[cd]/.test(h)) return 'a private network address';
    if (/^fe[89ab]/.test(h)) return 'a link-local address';
    return null;
  }
  if (!h.includes('.')) return 'a name without a domain, which only resolves inside a local network';
  return null;
}

export async function writeSettings(kvs: SettingsKvs, v: ValidatedSettings, by: string | null, now: Date): Promise<void> {
  if (v.apiKey !== null) await kvs.setSecret(API_KEY_SECRET, v.apiKey);
  const stored: StoredSettings = { backendUrl: v.backendUrl, jiraProjectKey: v.jiraProjectKey, updatedAt: now.toISOString(), updatedBy: by };
  await kvs.set(SETTINGS_KEY, stored);
}

/** The job a macro on a page requested last, so the macro shows it again when the page is reopened. */
export function macroJobKey(pageId: string, localId: string): string {
  // KVS keys allow letters, digits and a few separators; ids from Confluence are digits and UUIDs.
  return `job-${pageId}-${localId}`.replace(/[^A-Za-z0-9:._#-]/g, '_').slice(0, 100);
}
