// The breakdown language and the generation time limit are admin settings that reach the next
// job's generation without a restart: the engine is asked for that language and given that limit,
// and the drafter (which reuses the page's own sentences) says when it cannot honour the language.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './support/inProcess.ts';
import { DrafterEngine } from '../../core/model/index.ts';
import type { GenerateOptions } from '../../core/model/types.ts';
import type { SpecDocument } from '../../core/spec/types.ts';
import { parseBreakdown } from '../../core/breakdown/schema.ts';
import { loadCorpusPage } from '../corpus/index.ts';

/** The real drafter, remembering what each generation was asked for. */
class RecordingDrafter extends DrafterEngine {
  readonly asked: { language: string | undefined; timeoutMs: number | undefined; pageLanguage: string }[] = [];
  override async generate(doc: SpecDocument, options: GenerateOptions = {}) {
    this.asked.push({ language: options.language, timeoutMs: options.timeoutMs, pageLanguage: doc.language });
    return super.generate(doc, options);
  }
}

describe('generation settings: breakdown language and time limit', () => {
  let h: Harness;
  const engine = new RecordingDrafter();
  before(async () => {
    h = await startHarness({ engine });
    h.fake.addPage({ id: '7001', title: 'Zahlungen', storage: loadCorpusPage('lastenheft-zahlungen').content });
  });
  after(() => h.close());

  const runJob = async (requestedBy: string) => {
    const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '7001', siteUrl: h.fake.url, requestedBy } })).json()) as { jobId: string };
    await h.poll(jobId, (j) => j.state === 'awaiting_review');
    const detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as { breakdown: { latest: { body: unknown } | null } };
    return parseBreakdown(detail.breakdown.latest!.body);
  };

  test('by default the page language is kept and the limit is 30 minutes', async () => {
    const b = await runJob('default');
    const last = engine.asked.at(-1)!;
    assert.equal(last.pageLanguage, 'de');
    assert.equal(last.language, undefined);
    assert.equal(last.timeoutMs, 30 * 60_000);
    assert.equal(b.language, 'de');
    assert.ok(!b.warnings.some((w) => /page's language/.test(w)), b.warnings.join('\n'));
  });

  test('a saved language and limit reach the next job; the drafter warns that it kept the page language', async () => {
    const put = await h.admin('/api/settings', { method: 'PUT', json: { outputLanguage: 'en', generationTimeoutMinutes: 5 } });
    assert.equal(put.status, 200, await put.clone().text());
    const view = (await put.json()) as { values: { outputLanguage: string; generationTimeoutMinutes: number }; sources: Record<string, string> };
    assert.deepEqual([view.values.outputLanguage, view.values.generationTimeoutMinutes], ['en', 5]);
    assert.equal(view.sources.outputLanguage, 'settings');

    const b = await runJob('after-settings');
    const last = engine.asked.at(-1)!;
    assert.equal(last.language, 'en');
    assert.equal(last.timeoutMs, 5 * 60_000);
    assert.ok(b.warnings.some((w) => /Written in the page's language \(de\), not en/.test(w)), b.warnings.join('\n'));
  });

  test('a language that is not a language code and a zero limit are refused with the fields named; nothing changes', async () => {
    const bad = await h.admin('/api/settings', { method: 'PUT', json: { outputLanguage: 'English please', generationTimeoutMinutes: 0 } });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { code: string; message: string; fields: string[] };
    assert.deepEqual(body.fields.sort(), ['generationTimeoutMinutes', 'outputLanguage']);
    const view = (await (await h.admin('/api/settings')).json()) as { values: { outputLanguage: string; generationTimeoutMinutes: number } };
    assert.deepEqual([view.values.outputLanguage, view.values.generationTimeoutMinutes], ['en', 5]);
  });
});
