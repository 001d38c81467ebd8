// A scripted model for pipeline tests: given a completion request, the answer a cooperative model
// would write — epics for the outline, and for a section one story per requirement pair, citing
// them, within the request's schema (its story count, citation enum and string lengths). Tests
// force it through the real runtime (LlamaClient's `steer`) and vary it: cut it, loop it, empty
// it, write it in the wrong language.

import type { CompletionRequest } from '../../core/model/modelClient.ts';

export interface ScriptedStory {
  src: string[];
  epic: number;
  title: string;
  desc: string;
  ac: string[];
  priority: 'Highest' | 'High' | 'Medium' | 'Low' | 'Lowest';
  points: 1 | 2 | 3 | 5 | 8 | 13;
  after: number[];
  tasks: { src: string[]; title: string; hours: 1 | 2 | 4 | 8 | 16 }[];
}

/** What a section request asks: its purpose, the aliases it may cite, those labelled requirement, and its limits. */
export interface SectionAsk {
  purpose: string;
  aliases: string[];
  requirements: string[];
  storiesMax: number;
  sourcesMax: number;
  titleMax: number;
  descMax: number;
  criteriaMax: number;
  tasksMax: number;
  allowsNoStory: boolean;
  /** The user message (the retry reminders are in it). */
  prompt: string;
}

type Json = Record<string, unknown>;
const prop = (o: unknown, ...path: string[]): Json => path.reduce<Json>((x, k) => ((x.properties as Json | undefined)?.[k] ?? x[k] ?? {}) as Json, o as Json);

export function readSectionAsk(request: CompletionRequest): SectionAsk | undefined {
  const stories = prop(request.schema, 'stories');
  if (!stories.items) return undefined;
  const story = stories.items as Json;
  const src = prop(story, 'src');
  const prompt = request.messages.at(-1)?.content ?? '';
  const requirements = [...prompt.matchAll(/^\[(b\d+) [a-zA-Z]+ requirement\b/gm)].map((m) => m[1]!);
  return {
    purpose: request.purpose ?? 'section',
    aliases: ((src.items as Json).enum as string[]) ?? [],
    requirements,
    storiesMax: Number(stories.maxItems),
    sourcesMax: Number(src.maxItems),
    titleMax: Number(prop(story, 'title').maxLength),
    descMax: Number(prop(story, 'desc').maxLength),
    criteriaMax: Number(prop(story, 'ac').maxItems),
    tasksMax: Number(prop(story, 'tasks').maxItems),
    allowsNoStory: !!prop(request.schema, 'noStory').type,
    prompt,
  };
}

const cut = (s: string, n: number): string => [...s].slice(0, Math.max(0, n)).join('');

/** Texts in the two languages the tests use. */
export const WORDING = {
  en: { title: 'Handle', desc: (src: string) => `The user can do ${src} and the system checks it for the order.`, ac: 'It works for the user' },
  de: { title: 'Umsetzen', desc: (src: string) => `Der Benutzer kann ${src} tun und die Anwendung prüft es für die Bestellung.`, ac: 'Es ist für den Benutzer möglich' },
} as const;

/** The stories a cooperative model writes: requirement aliases in pairs (fewer when the request allows fewer). */
export function cooperativeStories(ask: SectionAsk, language: keyof typeof WORDING = 'en'): ScriptedStory[] {
  const w = WORDING[language];
  const cite = ask.requirements.length > 0 ? ask.requirements : ask.purpose === 'coverage' ? ask.aliases.slice(0, 1) : [];
  const per = Math.max(1, Math.min(2, ask.sourcesMax));
  const out: ScriptedStory[] = [];
  for (let i = 0; i < cite.length && out.length < ask.storiesMax; i += per) {
    const src = cite.slice(i, i + per);
    out.push({
      src,
      epic: 1,
      title: cut(`${w.title} ${src.join(' ')}`, ask.titleMax),
      desc: cut(w.desc(src.join(' ')), ask.descMax),
      ac: ask.criteriaMax > 0 ? [cut(w.ac, 16)] : [],
      priority: 'Medium',
      points: 3,
      after: out.length > 0 ? [out.length] : [],
      tasks: ask.tasksMax > 0 ? [{ src: src.slice(0, 1), title: cut(`Build ${src[0]}`, ask.titleMax), hours: 2 }] : [],
    });
  }
  return out;
}

export function sectionJson(ask: SectionAsk, stories: ScriptedStory[], noStory: { block: string; why: string }[] = []): string {
  return JSON.stringify(ask.allowsNoStory ? { stories, noStory } : { stories });
}

export const OUTLINE_ANSWER = JSON.stringify({ epics: [{ title: 'Orders', summary: 'Order handling' }] });

/** The cooperative model: the answer for any request of the pipeline. */
export function cooperativeAnswer(request: CompletionRequest, language: keyof typeof WORDING = 'en'): string {
  const ask = readSectionAsk(request);
  if (!ask) return OUTLINE_ANSWER;
  return sectionJson(ask, cooperativeStories(ask, language));
}
