// Free text that arrives from outside (the Forge app's requestedBy, names in admin headers) and is
// stored, logged and shown to reviewers. Control characters (NUL included) can cut or forge log
// lines and break storage; bidirectional overrides make a name display differently from what it is
// ("Trojan Source"). They are refused at the public edge and stripped from admin-side names.

// C0 and C1 controls (tab and newline included: none belongs in a one-line name), DEL, line and
// paragraph separators, and the bidi embeddings, overrides, isolates and marks.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

/** Whether `text` holds a character that must not be stored as one-line free text. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE.test(text);
}

/** `text` without control characters and bidi overrides. */
export function stripUnsafeCharacters(text: string): string {
  return text.replace(UNSAFE_ALL, '');
}

export const UNSAFE_TEXT_MESSAGE = 'must not contain control characters (such as NUL or line breaks) or bidirectional text overrides';
