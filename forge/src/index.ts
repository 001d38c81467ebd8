// The app's Forge functions (see manifest.yml): one resolver per UI module, so the macro's
// frontend cannot call the admin page's settings calls. Production collaborators are wired here:
// Forge KVS for settings and the API key, @forge/api's fetch (egress-checked) for the backend,
// Confluence as the calling user, and the deployed manifest's egress list.

import { fetch as forgeFetch, permissions } from '@forge/api';
import { kvs } from '@forge/kvs';
import type { FetchLike } from '#src/backend/backendClient';
import { confluenceAsUser } from '#src/confluence/confluence';
import { macroResolver } from '#src/resolvers/macroResolver';
import { settingsResolver } from '#src/resolvers/settingsResolver';

const backendFetch: FetchLike = (url, init) => forgeFetch(url, init);

/** Whether the deployed manifest allows the host; when Forge cannot say, the fetch itself decides. */
function canFetchFrom(url: string): boolean {
  try {
    return permissions.canFetchFrom('backend', url);
  } catch {
    return true;
  }
}

const confluence = confluenceAsUser();

export const macroHandler = macroResolver({ kvs, fetch: backendFetch, confluence });
export const settingsHandler = settingsResolver({ kvs, fetch: backendFetch, confluence, canFetchFrom });
