// Whitespace and invisible-character normalisation for block text, so that ids and tags see the text a
// person reads (a non-breaking space or a zero-width joiner must not make two identical sentences differ).

// Matches only runs that need changing (two or more spaces, or any other space character), so the
// ordinary single spaces of prose cost nothing.
const SPACES = /(?: [ \t\f\v\r\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]|[\t\f\v\r\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000])[ \t\f\v\r\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]*/g;
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff\u00ad]/g;
const NON_ASCII = /[^\x00-\x7f]/;
const NEWLINES = /\n/g;
const ANY_SPACE_OR_INVISIBLE = /[\s\u200b-\u200d\u2060\ufeff\u00ad]/;

/** Collapses runs of spaces, trims every line and drops empty lines; newlines (from <br>, paragraphs) stay. */
export function normaliseText(raw: string): string {
  // No space, line break or invisible character at all (a word, a number, a table cell's "Yes"): nothing to do.
  if (!ANY_SPACE_OR_INVISIBLE.test(raw)) return raw;
  const visible = NON_ASCII.test(raw) ? raw.replace(INVISIBLE, '') : raw;
  const collapsed = visible.replace(SPACES, ' ');
  if (!collapsed.includes('\n')) return collapsed.trim();
  const lines: string[] = [];
  for (const line of collapsed.split('\n')) {
    const t = line.trim();
    if (t !== '' && t !== '•') lines.push(t);
  }
  return lines.join('\n');
}

/** One-line form (table cells): line breaks become spaces. */
export function normaliseInline(raw: string): string {
  const text = normaliseText(raw);
  return text.includes('\n') ? text.replace(NEWLINES, ' ') : text;
}

/** Code keeps its indentation; only line endings and surrounding blank lines are normalised. */
export function normaliseCode(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').replace(/^(?:[ \t]*\n)+/, '').trimEnd();
}

/** The key a block id is hashed from: case, Unicode form and spacing differences do not count as edits. */
export function idKey(kind: string, text: string): string {
  return `${kind}\u0000${idKeyText(text)}`;
}

/** The text part of idKey (after the kind and a NUL): what twins are compared by. */
export function idKeyText(text: string): string {
  // Block text is already whitespace-normalised; NFKC only matters (and only costs) beyond ASCII.
  const folded = NON_ASCII.test(text) ? text.normalize('NFKC') : text;
  const lower = folded.toLowerCase();
  return lower.includes('\n') ? lower.replace(NEWLINES, ' ') : lower;
}
