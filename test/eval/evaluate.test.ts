import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { evaluateCorpus, loadEvalCorpus, loadEvalPage, renderEvaluation } from './evaluate.ts';
import { markdownToStorage } from './convert.ts';

describe('drafter evaluation corpus', () => {
  const pages = loadEvalCorpus();

  test('at least 10 public pages with source, licence and expected ids, a few held out, each converted from its source', () => {
    assert.ok(pages.length >= 10, `${pages.length} pages`);
    assert.ok(pages.filter((p) => p.split === 'held-out').length >= 3);
    for (const p of pages) {
      const dir = new URL('./corpus/', import.meta.url);
      assert.ok(existsSync(new URL(p.file, dir)), p.file);
      const source = readFileSync(new URL(`source/${p.name}.md`, dir), 'utf8');
      assert.equal(readFileSync(new URL(p.file, dir), 'utf8'), markdownToStorage(source), `${p.file} is the conversion of its source`);
      const ids = new Set(loadEvalPage(p).blocks.flatMap((b) => (b.requirementId ? [b.requirementId] : [])));
      assert.deepEqual(p.expectedIds.filter((id) => !ids.has(id)), [], `${p.name}: expected ids the parser does not find`);
    }
  });

  test('goals: every id traced, no title cut mid-phrase, no template criterion, no epic named after a template heading', () => {
    const rows = evaluateCorpus(pages);
    for (const r of rows) {
      assert.deepEqual(r.untracedIds, [], r.name);
      assert.deepEqual(r.titlesCutMidPhrase, [], r.name);
      assert.deepEqual(r.templateCriteria, [], r.name);
      assert.deepEqual(r.templateHeadingEpics, [], r.name);
      assert.equal(r.successCriteria.traced, r.successCriteria.total, r.name);
      assert.equal(r.findings.errors, 0, r.name);
    }
    const text = renderEvaluation(rows);
    assert.match(text, /Tuning pages/);
    assert.match(text, /Held-out pages/);
    assert.match(text, /Goals: 100% of ids traced \(100%\), 0 titles cut mid-phrase \(0\), 0 template criteria \(0\)\./);
  });
});
