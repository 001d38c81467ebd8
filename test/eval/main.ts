// `npm run eval`: drafts every page of the evaluation corpus, prints the figures, and exits non-zero
// only when some requirement id of a page is not traced by its breakdown (the one hard goal).

import { evaluateCorpus, renderEvaluation } from './evaluate.ts';

const rows = evaluateCorpus();
process.stdout.write(renderEvaluation(rows));
const untraced = rows.filter((r) => r.idsTraced < r.ids);
if (untraced.length > 0) {
  process.stderr.write(`Not every requirement id is traced on: ${untraced.map((r) => `${r.name} (${r.untracedIds.join(', ')})`).join('; ')}.\n`);
  process.exit(1);
}
