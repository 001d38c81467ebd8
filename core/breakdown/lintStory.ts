// Story quality lint in the spirit of QUS/AQUSA: well-formed, atomic, minimal, estimable, with
// acceptance criteria, free of vague words and of solutions in the title, uniquely titled.
// Only patterns that are cheap and rarely wrong; every finding is a warning a reviewer may overrule,
// except an estimate Jira cannot take.

import { STORY_POINTS } from './schema.ts';
import type { Breakdown, Epic, Story, Subtask } from './schema.ts';
import type { Finding } from './findings.ts';
import { parseStoryForm } from './storyForm.ts';

/** Titles longer than this are hard to scan in a Jira board; the schema's hard limit is larger. */
export const ADVISED_TITLE_MAX = 100;

// Words that make a requirement untestable. Matched as whole words, case-insensitively.
const VAGUE_WORDS = [
  // en
  'fast', 'quick', 'quickly', 'user-friendly', 'user friendly', 'easy', 'easily', 'simple', 'simply', 'etc',
  'and/or', 'robust', 'efficient', 'efficiently', 'intuitive', 'flexible', 'tbd', 'tbc', 'seamless', 'seamlessly',
  'as appropriate', 'if possible', 'as needed', 'state-of-the-art', 'optimal',
  // de
  'schnell', 'einfach', 'benutzerfreundlich', 'intuitiv', 'flexibel', 'effizient', 'usw', 'ggf', 'bei Bedarf',
  // fr
  'rapide', 'rapidement', 'facile', 'facilement', 'convivial', 'conviviale', 'intuitif', 'robuste', 'efficace',
  'à définir',
  // es
  'rápido', 'rápida', 'rápidamente', 'fácil', 'fácilmente', 'sencillo', 'sencilla', 'intuitivo', 'intuitiva',
  'robusto', 'eficiente', 'amigable', 'por definir',
];
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const VAGUE_RE = new RegExp(`(?<![\\p{L}\\p{N}])(${VAGUE_WORDS.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'giu');

// Technology named in a title means the story prescribes a solution instead of stating a need.
const TECH_WORDS = [
  'react', 'angular', 'vue', 'svelte', 'redux', 'jquery', 'bootstrap', 'tailwind', 'redis', 'memcached', 'postgres',
  'postgresql', 'mysql', 'sqlite', 'mongodb', 'mongo', 'dynamodb', 'cassandra', 'elasticsearch', 'kafka', 'rabbitmq',
  'docker', 'kubernetes', 'k8s', 'aws', 'azure', 'gcp', 's3', 'lambda', 'graphql', 'rest', 'api', 'apis', 'sql',
  'nosql', 'node', 'node.js', 'java', 'python', 'typescript', 'javascript', 'spring', 'django', 'rails', 'laravel',
  'microservice', 'microservices', 'cron', 'websocket', 'websockets', 'ajax', 'orm', 'hibernate', 'nginx',
  'terraform', 'iframe', 'stored procedure', 'database table',
];
const SOLUTION_RE = new RegExp(
  `(?<![\\p{L}])(?:using|with|via|through|in|on|by|based on|mit|über|avec|con|mediante|usando)\\s+(?:an?\\s+|the\\s+)?(${TECH_WORDS.map(escape).join('|')})(?![\\p{L}\\p{N}])`,
  'iu',
);

// Words a finished phrase does not end with: articles, prepositions, conjunctions, auxiliaries. A title
// ending in one was cut mid-phrase ("…derive the title via a").
const DANGLING_WORDS = [
  'a', 'an', 'the', 'of', 'to', 'via', 'by', 'with', 'without', 'for', 'from', 'in', 'into', 'on', 'onto', 'at', 'as',
  'and', 'or', 'but', 'nor', 'than', 'that', 'which', 'who', 'whose', 'when', 'where', 'while', 'if', 'unless', 'because',
  'so', 'is', 'are', 'was', 'were', 'be', 'been', 'has', 'have', 'had', 'must', 'shall', 'should', 'will', 'can', 'may',
  'its', 'their', 'his', 'her', 'our', 'your', 'my', 'this', 'these', 'those', 'each', 'every', 'any', 'all', 'such',
  'including', 'e.g', 'i.e', 'etc', 'per', 'between', 'within', 'through', 'across', 'using',
  // de, fr, es
  'der', 'die', 'das', 'den', 'dem', 'des', 'ein', 'eine', 'und', 'oder', 'mit', 'für', 'von', 'zu', 'im',
  'le', 'la', 'les', 'un', 'une', 'de', 'du', 'et', 'ou', 'avec', 'pour', 'par', 'el', 'los', 'las', 'una', 'y', 'o', 'con', 'para', 'por',
];
// Case-sensitive on purpose: "feature A" and "Plan B" end with a name, not an article.
const DANGLING_RE = new RegExp(`(?<![\\p{L}\\p{N}])(?:${DANGLING_WORDS.map((w) => w.replace('.', '\\.')).join('|')})[.,;:!?]*$`, 'u');

/** Whether a title stops in the middle of a phrase: an ellipsis cut, or a last word that needs a continuation. */
export function endsMidPhrase(title: string): boolean {
  const t = title.trim();
  const words = t.split(/\s+/).length;
  return /…$|\.\.\.$/.test(t) || (words > 1 && (DANGLING_RE.test(t) || /[:,;–—-]$/.test(t)));
}

// Criteria that restate nothing testable: boilerplate a generator fills in when it found no condition.
const TEMPLATE_CRITERIA = [
  /^meets the requirements?\b/i,
  /^(?:the\s+)?requirements?\s+(?:is|are)\s+(?:met|fulfilled|satisfied|implemented)\b/i,
  /^(?:it\s+)?works\s+as\s+(?:described|specified|expected)\b/i,
  /^(?:implemented|done)\s+as\s+(?:described|specified)\b/i,
  /^all\s+listed\s+sub-?tasks\s+are\s+done\b/i,
  /^(?:erfüllt\s+die\s+anforderung|satisfait\s+l['’]exigence|cumple\s+el\s+requisito)\b/i,
];

/** Whether an acceptance criterion is boilerplate, or a sentence cut off before its object ("…messages when."). */
export function isTemplateCriterion(criterion: string): boolean {
  const c = criterion.trim();
  return TEMPLATE_CRITERIA.some((re) => re.test(c)) || (c.split(/\s+/).length > 1 && DANGLING_RE.test(c.replace(/[.!]+$/u, ''))) || /…$/.test(c);
}

// The same punctuation twice ("FR-001: : The…", "done..", ",,"), not an ellipsis or a quoted path.
const DUPLICATED_PUNCTUATION = /[:;,]\s*[:;,]|[!?]\s*[.:;,]|(?<=[\p{L}\p{N})])\.\s*\.(?![.\w/])/u;
const UNRESOLVED_MENTION = /(?<![\p{L}\p{N}_.@])@user(?![\p{L}\p{N}_])/u;

function vagueWordsIn(text: string): string[] {
  return [...new Set([...text.matchAll(VAGUE_RE)].map((m) => m[1]!.toLowerCase()))];
}

function lintCommon(item: Epic | Story | Subtask, kind: 'Epic' | 'Story' | 'Sub-task'): Finding[] {
  const out: Finding[] = [];
  const id = item.id;
  if (item.title.length > ADVISED_TITLE_MAX) {
    out.push({
      severity: 'warning',
      code: 'title-too-long',
      itemId: id,
      message: `${kind} ${id}: the title has ${item.title.length} characters; keep it under ${ADVISED_TITLE_MAX} and move detail to the description.`,
    });
  }
  const brackets = (item.title.match(/[()[\]{}]/g) ?? []).length;
  const sentences = item.title.split(/[.!?]\s+(?=\p{Lu})/u).length;
  if (brackets > 0 || sentences > 1) {
    out.push({
      severity: 'warning',
      code: 'title-not-minimal',
      itemId: id,
      message: `${kind} ${id}: the title ${brackets > 0 ? 'contains bracketed remarks' : 'has more than one sentence'}; keep the title to one statement and move the rest to the description.`,
    });
  }
  if (endsMidPhrase(item.title)) {
    out.push({
      severity: 'warning',
      code: 'title-cut-mid-phrase',
      itemId: id,
      message: `${kind} ${id}: the title "${item.title}" stops in the middle of a phrase; end it where the phrase ends and leave the rest to the description.`,
    });
  }
  const punctuated = [item.title, ...item.acceptanceCriteria].find((t) => DUPLICATED_PUNCTUATION.test(t));
  if (punctuated !== undefined) {
    const m = DUPLICATED_PUNCTUATION.exec(punctuated)!;
    out.push({
      severity: 'warning',
      code: 'duplicated-punctuation',
      itemId: id,
      message: `${kind} ${id} has doubled punctuation ("${m[0]}" in "${punctuated.length > 80 ? `${punctuated.slice(0, 79)}…` : punctuated}"); remove the extra mark.`,
    });
  }
  if ([item.title, item.description, item.notes, ...item.acceptanceCriteria].some((t) => UNRESOLVED_MENTION.test(t))) {
    out.push({
      severity: 'warning',
      code: 'unresolved-mention',
      itemId: id,
      message: `${kind} ${id} mentions "@user", a person whose name could not be looked up; write the person's name instead, or check that the service account may view user profiles in Confluence.`,
    });
  }
  const templated = item.acceptanceCriteria.map((c, i) => ({ c, i })).filter(({ c }) => isTemplateCriterion(c));
  if (templated.length > 0) {
    out.push({
      severity: 'warning',
      code: 'template-criterion',
      itemId: id,
      message: `${kind} ${id}: criterion ${templated.map((t) => t.i + 1).join(', ')} ("${templated[0]!.c.slice(0, 80)}") is boilerplate or cut off, not a condition anyone can test; state the condition, limit or number that shows the work is done.`,
    });
  }
  const places: string[] = [];
  const titleWords = vagueWordsIn(item.title);
  if (titleWords.length > 0) places.push(`title: ${titleWords.map((w) => `"${w}"`).join(', ')}`);
  item.acceptanceCriteria.forEach((c, i) => {
    const w = vagueWordsIn(c);
    if (w.length > 0) places.push(`criterion ${i + 1}: ${w.map((x) => `"${x}"`).join(', ')}`);
  });
  if (places.length > 0) {
    out.push({
      severity: 'warning',
      code: 'vague-word',
      itemId: id,
      message: `${kind} ${id} uses words that cannot be tested (${places.join('; ')}). Replace them with a measurable statement, e.g. "responds within 2 s".`,
    });
  }
  return out;
}

export function lintStory(story: Story): Finding[] {
  const out = lintCommon(story, 'Story');
  const id = story.id;

  // Prefer the variant that states a benefit: a title often carries role and goal, the description the whole sentence.
  const forms = [parseStoryForm(story.title), parseStoryForm(story.description)].filter((f) => f !== undefined);
  const form = forms.find((f) => f.benefit) ?? forms[0];
  if (form) {
    if (!form.role || !form.goal) {
      out.push({
        severity: 'warning',
        code: 'story-malformed',
        itemId: id,
        message: `Story ${id} starts like a user story but is missing ${!form.role ? 'the role' : 'the goal'}; write it as "As a <role>, I want <goal>, so that <benefit>".`,
      });
    } else {
      if (!form.benefit) {
        out.push({
          severity: 'warning',
          code: 'story-no-benefit',
          itemId: id,
          message: `Story ${id} says who and what but not why; add "so that <benefit>" so the team can judge the value.`,
        });
      }
      const joiner = new RegExp(`\\s(${form.conjunctions.join('|')})\\s|&|/`, 'iu').exec(form.goal);
      if (joiner) {
        out.push({
          severity: 'warning',
          code: 'story-not-atomic',
          itemId: id,
          message: `Story ${id} asks for more than one thing ("${joiner[0].trim()}" in "${form.goal}"); split it into one story per goal.`,
        });
      }
    }
  }

  if (story.acceptanceCriteria.length === 0) {
    out.push({
      severity: 'warning',
      code: 'no-acceptance-criteria',
      itemId: id,
      message: `Story ${id} has no acceptance criteria; add at least one testable condition that says when it is done.`,
    });
  }

  if (story.estimate === null) {
    out.push({
      severity: 'warning',
      code: 'no-estimate',
      itemId: id,
      message: `Story ${id} has no estimate; give it story points (${STORY_POINTS.join(', ')}).`,
    });
  } else if (!(STORY_POINTS as readonly number[]).includes(story.estimate)) {
    out.push({
      severity: 'error',
      code: 'invalid-estimate',
      itemId: id,
      message: `Story ${id} is estimated at ${story.estimate}; story points must be one of ${STORY_POINTS.join(', ')}.`,
    });
  } else if (story.estimate === 13) {
    out.push({
      severity: 'warning',
      code: 'estimate-too-large',
      itemId: id,
      message: `Story ${id} is estimated at 13 points, too big for one sprint; split it into smaller stories.`,
    });
  }

  const solution = SOLUTION_RE.exec(story.title);
  if (solution) {
    out.push({
      severity: 'warning',
      code: 'solution-in-title',
      itemId: id,
      message: `Story ${id}'s title prescribes a solution ("${solution[0]}"); state the need in the title and leave technology choices to the description or sub-tasks.`,
    });
  }
  return out;
}

export function lintSubtask(subtask: Subtask): Finding[] {
  return lintCommon(subtask, 'Sub-task');
}

// Section headings of specification templates: they say where text sits on the page, not what to build.
const TEMPLATE_HEADING =
  /\((?:mandatory|optional|required|if applicable)\)|^(?:\d+(?:\.\d+)*\.?\s+)?(?:user\s+scenarios(?:\s*(?:&|and)\s*testing)?|requirements|functional\s+requirements|non-functional\s+requirements|success\s+criteria|measurable\s+outcomes|edge\s+cases|key\s+entities|assumptions|clarifications|acceptance\s+criteria|overview|background|introduction)(?:\s*\(part\s+\d+\))?$/i;

/** Whether an epic title is only a template's section heading ("Requirements (mandatory)"). */
export function isTemplateHeading(title: string): boolean {
  return TEMPLATE_HEADING.test(title.trim());
}

export function lintEpic(epic: Epic): Finding[] {
  const out = lintCommon(epic, 'Epic').filter((f) => f.code !== 'title-not-minimal');
  if (isTemplateHeading(epic.title)) {
    out.push({
      severity: 'warning',
      code: 'epic-template-heading',
      itemId: epic.id,
      message: `Epic ${epic.id} is named after the page's template heading "${epic.title}"; name it after the feature or user story its stories deliver.`,
    });
  }
  return out;
}

/** Lints every epic, story and sub-task, and reports titles used by more than one story. */
export function lintBreakdown(breakdown: Breakdown): Finding[] {
  const out: Finding[] = [];
  const titles = new Map<string, string>();
  for (const e of breakdown.epics) {
    out.push(...lintEpic(e));
    for (const s of e.stories) {
      out.push(...lintStory(s));
      const key = s.title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
      const first = titles.get(key);
      if (first) {
        out.push({
          severity: 'warning',
          code: 'title-not-unique',
          itemId: s.id,
          message: `Story ${s.id} has the same title as ${first} ("${s.title}"); make each title say what is different.`,
        });
      } else {
        titles.set(key, s.id);
      }
      for (const t of s.subtasks) out.push(...lintSubtask(t));
    }
  }
  return out;
}
