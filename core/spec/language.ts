// Language of the page from stop-word counts: cheap, deterministic and good enough to choose prompts
// and requirement vocabularies for en/de/fr/es specifications (plus nl, it, pt so those are not misread).

const STOP_WORDS: Record<string, string[]> = {
  en: ['the', 'and', 'of', 'to', 'is', 'that', 'for', 'with', 'this', 'are', 'be', 'it', 'on', 'will', 'must', 'should', 'when', 'from', 'an', 'or', 'can', 'we', 'not', 'by', 'have', 'has', 'which', 'user', 'shall', 'as'],
  de: ['der', 'die', 'das', 'und', 'ist', 'nicht', 'mit', 'für', 'ein', 'eine', 'den', 'dem', 'des', 'auf', 'zu', 'im', 'sich', 'auch', 'werden', 'wird', 'kann', 'soll', 'muss', 'oder', 'wenn', 'bei', 'von', 'sind', 'nach', 'wir'],
  fr: ['le', 'les', 'et', 'est', 'des', 'une', 'du', 'pour', 'dans', 'qui', 'sur', 'pas', 'avec', 'doit', 'ce', 'cette', 'au', 'aux', 'être', 'sont', 'par', 'ou', 'lorsque', 'il', 'nous', 'utilisateur', 'peut', 'leur', 'ne', 'je'],
  es: ['el', 'los', 'las', 'y', 'es', 'del', 'una', 'para', 'con', 'por', 'debe', 'se', 'al', 'como', 'son', 'está', 'cuando', 'lo', 'su', 'sus', 'usuario', 'puede', 'pero', 'más', 'este', 'esta', 'deben', 'entre', 'sin', 'también'],
  nl: ['het', 'een', 'van', 'en', 'is', 'niet', 'op', 'voor', 'met', 'zijn', 'wordt', 'moet', 'dat', 'ook', 'bij'],
  it: ['il', 'gli', 'della', 'che', 'è', 'per', 'non', 'una', 'con', 'sono', 'deve', 'anche', 'nel', 'alla', 'questo'],
  pt: ['os', 'uma', 'não', 'para', 'com', 'é', 'que', 'do', 'da', 'dos', 'deve', 'mais', 'está', 'também', 'ao'],
};

const LOOKUP = new Map<string, string[]>();
for (const [lang, words] of Object.entries(STOP_WORDS)) {
  for (const w of words) LOOKUP.set(w, [...(LOOKUP.get(w) ?? []), lang]);
}

// Enough text to be sure of the language; more only costs time on large pages.
const SAMPLE_CHARS = 40_000;
/** What separates words: anything but a letter (a split gives the words without a match object each). */
const NOT_LETTERS = /[^\p{L}]+/u;

/** "en", "de", "fr", "es", … or "und" (undetermined) when the text has no recognisable words. */
export function detectLanguage(texts: Iterable<string>): string {
  const sample = new LanguageSample();
  for (const text of texts) if (!sample.add(text)) break;
  return detectLanguageOfSample(sample.text);
}

/**
 * The text language detection reads: the texts apart by a line break (which no word spans), up to
 * SAMPLE_CHARS of them, as one string built as it goes (no array of a page's texts).
 */
export class LanguageSample {
  text = '';
  private budget = SAMPLE_CHARS;
  private pieces = 0;

  /** Adds a text; false once the sample is full (later texts would not be read). */
  add(text: string): boolean {
    if (this.budget <= 0) return false;
    const piece = text.length > this.budget ? text.slice(0, this.budget) : text;
    this.budget -= piece.length;
    this.text = this.pieces++ === 0 ? piece : `${this.text}\n${piece}`;
    return true;
  }
}

/** detectLanguage of a sample already made (see LanguageSample). */
export function detectLanguageOfSample(sample: string): string {
  const counts = new Map<string, number>();
  for (const word of sample.toLowerCase().split(NOT_LETTERS)) {
    const langs = LOOKUP.get(word);
    if (!langs) continue;
    for (const l of langs) counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  let best = 'und';
  let bestCount = 0;
  for (const [lang, n] of counts) {
    if (n > bestCount) {
      best = lang;
      bestCount = n;
    }
  }
  return best;
}
