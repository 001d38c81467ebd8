// The role–goal–benefit user-story template ("As a <role>, I want <goal>, so that <benefit>") in
// English, German, French and Spanish. Shared by the story lint and the drafter, so both read a
// story sentence the same way.

export interface StoryForm {
  language: 'en' | 'de' | 'fr' | 'es';
  role?: string;
  goal?: string;
  benefit?: string;
  /** Words that join two goals in this language ("and", "or", …). */
  conjunctions: string[];
}

interface Template {
  language: StoryForm['language'];
  /** Recognises an attempt at the template, even a broken one. */
  leadIn: RegExp;
  full: RegExp;
  conjunctions: string[];
}

const TEMPLATES: Template[] = [
  {
    language: 'en',
    leadIn: /^as an?\s|^as the\s/i,
    full: /^as\s+(?:an?\s+|the\s+)?(?<role>[^,]+?)\s*,?\s+I\s+(?:want|need|would like|wish|can|should be able)\s+(?:to\s+)?(?<goal>.+?)(?:\s*,?\s+(?:so that|so|in order to)\s+(?<benefit>.+?))?[.!]?$/is,
    conjunctions: ['and', 'or'],
  },
  {
    language: 'de',
    leadIn: /^als\s+[^,]+,/i,
    full: /^als\s+(?:ein|eine|einer)?\s*(?<role>[^,]+?)\s*,?\s+(?:möchte|will|muss)\s+ich\s+(?<goal>.+?)(?:\s*,?\s+(?:damit|um|sodass)\s+(?<benefit>.+?))?[.!]?$/is,
    conjunctions: ['und', 'oder'],
  },
  {
    language: 'fr',
    leadIn: /^en tant qu['e’]/i,
    full: /^en tant qu['e’]\s*(?<role>[^,]+?)\s*,?\s+je\s+(?:veux|voudrais|souhaite|dois)\s+(?<goal>.+?)(?:\s*,?\s+(?:afin de|afin que|pour que|pour pouvoir)\s+(?<benefit>.+?))?[.!]?$/is,
    conjunctions: ['et', 'ou'],
  },
  {
    language: 'es',
    leadIn: /^como\s+[^,]+,/i,
    full: /^como\s+(?:un|una)?\s*(?<role>[^,]+?)\s*,?\s+(?:quiero|deseo|necesito|puedo)\s+(?<goal>.+?)(?:\s*,?\s+(?:para que|para poder|de modo que)\s+(?<benefit>.+?))?[.!]?$/is,
    conjunctions: ['y', 'o'],
  },
];

/** The story template parts found in `text` (first line), or undefined when the text is not in story form. */
export function parseStoryForm(text: string): StoryForm | undefined {
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  for (const t of TEMPLATES) {
    if (!t.leadIn.test(line)) continue;
    const m = t.full.exec(line);
    const g = m?.groups ?? {};
    return {
      language: t.language,
      role: g.role?.trim() || undefined,
      goal: g.goal?.trim() || undefined,
      benefit: g.benefit?.trim() || undefined,
      conjunctions: t.conjunctions,
    };
  }
  return undefined;
}
