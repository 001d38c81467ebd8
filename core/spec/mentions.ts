// Mentions in Confluence storage format: `<ac:link><ri:user ri:account-id="…"/></ac:link>` (or, on
// older pages and in macro parameters, a bare `<ri:user …/>`) names a person by account id only.
// Confluence shows the display name when it renders the page; to read the page the same way, the ids
// are collected here, looked up (core/atlassian/confluence.ts), and written into each mention as its
// link body (a bare one is given the link around it), which the storage reader reads as "@Display Name".

const USER_LINK = /<ac:link\b[^>]*>\s*<ri:user\b([^>]*?)(?:\/>|>\s*<\/ri:user>)\s*<\/ac:link>/g;
// Older pages (and some macro parameters) carry the person without the link around it.
const BARE_USER = /(?<!<ac:link\b[^>]*>\s*)<ri:user\b([^>]*?)(?:\/>|>\s*<\/ri:user>)/g;
const ACCOUNT_ID = /\bri:account-id\s*=\s*(?:"([^"]*)"|'([^']*)')/;

const accountIdOf = (attrs: string): string | undefined => {
  const m = ACCOUNT_ID.exec(attrs);
  const id = (m?.[1] ?? m?.[2] ?? '').trim();
  return id || undefined;
};

/** Account ids of the mentions that carry no name of their own, each once, in page order. */
export function unnamedMentionIds(storage: string): string[] {
  const ids = new Set<string>();
  const found = [...storage.matchAll(USER_LINK), ...storage.matchAll(BARE_USER)].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  for (const m of found) {
    const id = accountIdOf(m[1] ?? '');
    if (id) ids.add(id);
  }
  return [...ids];
}

/**
 * The storage with every unnamed mention whose account id has a known name given that name as its
 * link body. Mentions of unknown people stay as they are (the reader shows them as "@user").
 */
export function nameMentions(storage: string, names: ReadonlyMap<string, string>): string {
  if (names.size === 0) return storage;
  const nameOf = (attrs: string) => {
    const id = accountIdOf(attrs);
    return id ? names.get(id)?.trim() || undefined : undefined;
  };
  const body = (name: string) => `<ac:plain-text-link-body><![CDATA[${name.replaceAll(']]>', ']]]]><![CDATA[>')}]]></ac:plain-text-link-body>`;
  // A bare mention gets the link around it, with the name as the link body (the form Confluence writes today).
  const named = storage.replace(BARE_USER, (user: string, attrs: string) => {
    const name = nameOf(attrs);
    return name ? `<ac:link>${user}${body(name)}</ac:link>` : user;
  });
  return named.replace(USER_LINK, (link: string, attrs: string) => {
    const name = nameOf(attrs);
    return name ? link.replace(/<\/ac:link>$/, `${body(name)}</ac:link>`) : link;
  });
}
