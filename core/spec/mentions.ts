// Mentions in Confluence storage format: `<ac:link><ri:user ri:account-id="…"/></ac:link>` names a
// person by account id only. Confluence shows the display name when it renders the page; to read the
// page the same way, the ids are collected here, looked up (core/atlassian/confluence.ts), and written
// into each mention as its link body, which the storage reader already reads as "@Display Name".

const USER_LINK = /<ac:link\b[^>]*>\s*<ri:user\b([^>]*?)(?:\/>|>\s*<\/ri:user>)\s*<\/ac:link>/g;
const ACCOUNT_ID = /\bri:account-id\s*=\s*(?:"([^"]*)"|'([^']*)')/;

const accountIdOf = (attrs: string): string | undefined => {
  const m = ACCOUNT_ID.exec(attrs);
  const id = (m?.[1] ?? m?.[2] ?? '').trim();
  return id || undefined;
};

/** Account ids of the mentions that carry no name of their own, each once, in page order. */
export function unnamedMentionIds(storage: string): string[] {
  const ids = new Set<string>();
  for (const m of storage.matchAll(USER_LINK)) {
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
  return storage.replace(USER_LINK, (link: string, attrs: string) => {
    const id = accountIdOf(attrs);
    const name = id ? names.get(id)?.trim() : undefined;
    if (!name) return link;
    const body = `<ac:plain-text-link-body><![CDATA[${name.replaceAll(']]>', ']]]]><![CDATA[>')}]]></ac:plain-text-link-body>`;
    return link.replace(/<\/ac:link>$/, `${body}</ac:link>`);
  });
}
