import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeDuplicates } from './pageHistory.ts';
import type { DuplicateCandidate } from '../jira/findDuplicates.ts';

const c = (key: string, score: number, extra: Partial<DuplicateCandidate> = {}): DuplicateCandidate => ({ key, id: key.replace(/\D/g, ''), summary: `Issue ${key}`, url: `https://acme.atlassian.net/browse/${key}`, score, ...extra });

test('an issue found both in the page history and by Jira search is listed once, with the higher score and where it came from', () => {
  const history = [{ itemId: 'S1.1', candidates: [c('PAY-1', 1, { origin: 'page-history', note: 'Created from this page by job 1234abcd' })] }];
  const search = [
    { itemId: 'S1.1', candidates: [c('PAY-1', 0.4), c('PAY-7', 0.6)] },
    { itemId: 'S1.2', candidates: [c('PAY-9', 0.5)] },
  ];
  for (const merged of [mergeDuplicates(history, search), mergeDuplicates(search, history)]) {
    const s11 = merged.find((m) => m.itemId === 'S1.1')!;
    assert.deepEqual(s11.candidates.map((x) => [x.key, x.score, x.origin ?? 'search']), [['PAY-1', 1, 'page-history'], ['PAY-7', 0.6, 'search']]);
    assert.equal(s11.candidates[0]!.note, 'Created from this page by job 1234abcd');
    assert.deepEqual(merged.find((m) => m.itemId === 'S1.2')!.candidates.map((x) => x.key), ['PAY-9']);
  }
});
