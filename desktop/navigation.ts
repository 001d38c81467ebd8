// Where the app window may go. The window shows only the admin listener; any other http(s)
// address opens in the user's browser, and everything else (file:, javascript:, custom schemes)
// is refused, so a link in a spec page cannot turn the window into a browser with our session.

export type NavigationDecision = 'allow' | 'external' | 'deny';

/** Decides a navigation or window-open request from the window showing `adminOrigin`. */
export function decideNavigation(target: string, adminOrigin: string | undefined): NavigationDecision {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'deny';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'deny';
  if (adminOrigin !== undefined && url.origin === adminOrigin) return 'allow';
  // Credentials in a URL handed to the browser would be shown and stored there.
  if (url.username || url.password) return 'deny';
  return 'external';
}
