// What the app asks Confluence, always as the user who clicked (Forge's asUser()): whether they may
// see and edit the page the macro is on, the page's current version, and whether they administer
// the site. Confluence answers for the user, so nobody gets more than Confluence grants them, and
// the page version comes from Confluence instead of from the browser.

import { asUser, route } from '@forge/api';

export interface PageAccess {
  /** The page's current version number in Confluence. */
  version: number;
  canEdit: boolean;
}

/** The Confluence calls the resolvers make; passed in so tests can run the real calls or not. */
export interface ConfluenceAsUser {
  /** The page as the user sees it; null when it does not exist or the user may not read it. */
  page(pageId: string): Promise<PageAccess | null>;
  /** True when the user may administer Confluence (site and Confluence admins). */
  isAdmin(): Promise<boolean>;
}

export class ConfluenceError extends Error {}

type Requester = (path: ReturnType<typeof route>) => Promise<{ status: number; json(): Promise<unknown>; text(): Promise<string> }>;

export function confluenceAsUser(request: Requester = (p) => asUser().requestConfluence(p, { headers: { accept: 'application/json' } })): ConfluenceAsUser {
  return {
    async page(pageId) {
      if (!/^[0-9]{1,20}$/.test(pageId)) return null;
      // GET /wiki/api/v2/pages/{id} (scope read:page:confluence): 404 also when the user may not see it.
      const res = await request(route`/wiki/api/v2/pages/${pageId}`);
      if (res.status === 404 || res.status === 403) return null;
      if (res.status !== 200) throw new ConfluenceError(`Confluence did not return the page (HTTP ${res.status}).`);
      const page = (await res.json()) as { version?: { number?: unknown } };
      const version = page.version?.number;
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new ConfluenceError('Confluence returned the page without a version number.');
      // GET /wiki/api/v2/pages/{id}/operations: what this user may do with the page.
      const ops = await request(route`/wiki/api/v2/pages/${pageId}/operations`);
      if (ops.status !== 200) throw new ConfluenceError(`Confluence did not say what you may do with the page (HTTP ${ops.status}).`);
      const body = (await ops.json()) as { operations?: { operation?: unknown; targetType?: unknown }[] };
      const canEdit = (body.operations ?? []).some((o) => o.operation === 'update' && (o.targetType === undefined || o.targetType === 'page'));
      return { version, canEdit };
    },

    async isAdmin() {
      // GET /wiki/rest/api/user/current?expand=operations (scope read:confluence-user): the user's
      // global operations; "administer" on the application is Confluence administration.
      const res = await request(route`/wiki/rest/api/user/current?${new URLSearchParams({ expand: 'operations' })}`);
      if (res.status !== 200) throw new ConfluenceError(`Confluence did not say who you are (HTTP ${res.status}).`);
      const me = (await res.json()) as { operations?: { operation?: unknown; targetType?: unknown }[] };
      return (me.operations ?? []).some((o) => o.operation === 'administer' && o.targetType === 'application');
    },
  };
}
