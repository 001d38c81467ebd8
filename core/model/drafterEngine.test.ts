import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../spec/index.ts';
import { draftBreakdown } from '../drafter/index.ts';
import { DrafterEngine } from './drafterEngine.ts';
import { createEngine } from './createEngine.ts';
import { ModelError } from './modelStore.ts';

const doc = parseSpec('<h1>Export</h1><p>FR-1: Users must export orders as CSV.</p>', { format: 'storage' });

describe('engine without a model', () => {
  test('with no model configured the factory gives the drafter, whose status says so', async () => {
    const engine = await createEngine({ kind: 'drafter' });
    assert.ok(engine instanceof DrafterEngine);
    assert.equal(engine.name, 'drafter');
    const s = engine.status();
    assert.equal(s.state, 'absent');
    assert.match(s.state === 'absent' ? (s.message ?? '') : '', /No model configured/);
  });

  test('the drafter engine returns the drafted breakdown with progress', async () => {
    const engine = new DrafterEngine();
    const phases: string[] = [];
    const b = await engine.generate(doc, { onProgress: (p) => phases.push(p.phase) });
    assert.deepEqual(b, draftBreakdown(doc));
    assert.equal(b.generator.kind, 'drafter');
    assert.deepEqual(phases, ['sections', 'done']);
  });

  test('an already cancelled job is refused', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(new DrafterEngine().generate(doc, { signal: ac.signal }), (e) => e instanceof ModelError && e.code === 'cancelled');
  });
});
