// The app's Forge functions (see manifest.yml): one resolver per UI module, so the macro's
// frontend cannot call the admin page's settings calls. Production collaborators are wired here:
// Forge KVS for settings and the API key, @forge/api's fetch (egress-checked) for the backend.

import { fetch as forgeFetch } from '@forge/api';
import { kvs } from '@forge/kvs';
import type { FetchLike } from './backend/backendClient.ts';
import { macroResolver } from './resolvers/macroResolver.ts';
import { settingsResolver } from './resolvers/settingsResolver.ts';

const backendFetch: FetchLike = (url, init) => forgeFetch(url, init);

export const macroHandler = macroResolver({ kvs, fetch: backendFetch });
export const settingsHandler = settingsResolver({ kvs, fetch: backendFetch });
