import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { findDuplicates, salientWords, similarity } from './findDuplicates.ts';
import { createJiraClient } from './client.ts';
import { startFakeAtlassian } from '../../test/fakes/atlassian/server.ts';
import type { FakeAtlassian } from '../../test/fakes/atlassian/server.ts';

describe('likely duplicates in the target project', () => {
  let fake: FakeAtlassian;
  before(async () => {
    fake = await startFakeAtlassian();
    fake.addIssue({ projectKey: 'PAY', summary: 'Customer can request a refund for a card payment' });
    fake.addIssue({ projectKey: 'PAY', summary: 'Refund status e-mail notification' });
    fake.addIssue({ projectKey: 'PAY', summary: 'Export monthly invoices as PDF' });
    fake.addIssue({ projectKey: 'PAY', summary: 'Request refund "quickly" (VIP) \\ edge', labels: ['s2t-other'] });
    fake.addIssue({ projectKey: 'TEAM', summary: 'Customer can request a refund for a card payment' });
  });
  after(async () => {
    await fake.close();
    fake.assertNoViolations();
  });

  test('an item about refunds finds the refund issue with a high score, and not the invoice export', async () => {
    const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
    const [refund, invoices, nothing] = await findDuplicates(client, 'PAY', [
      { id: 'S1.1', title: 'As a customer I can request a refund for my card payment' },
      { id: 'S1.2', title: 'Export invoices per month as PDF' },
      { id: 'S1.3', title: 'Rotate the database backups' },
    ], { excludeLabel: 's2t-other' });
    assert.equal(refund!.itemId, 'S1.1');
    assert.equal(refund!.candidates[0]!.key, 'PAY-1');
    assert.ok(refund!.candidates[0]!.score >= 0.8, `score ${refund!.candidates[0]!.score}`);
    assert.match(refund!.candidates[0]!.url, /\/browse\/PAY-1$/);
    assert.ok(refund!.candidates.every((c) => c.key.startsWith('PAY-')), 'only the target project');
    assert.ok(!refund!.candidates.some((c) => c.key === 'PAY-4'), 'issues with the excluded label are left out');
    assert.equal(invoices!.candidates[0]!.key, 'PAY-3');
    assert.deepEqual(nothing!.candidates, []);
    assert.equal(fake.count(/\/search\/jql$/), 3, 'one search per item');
  });

  test('quotes and backslashes in titles cannot break the JQL', async () => {
    const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
    const [r] = await findDuplicates(client, 'PAY', [{ id: 'S9', title: 'Request "refund" \\ quickly OR project = TEAM' }]);
    assert.ok(r!.candidates.length > 0);
    assert.ok(r!.candidates.every((c) => c.key.startsWith('PAY-')));
  });

  test('salient words drop stopwords and scoring is symmetric', () => {
    assert.deepEqual(salientWords('As a user I want to export the invoices'), ['export', 'invoices']);
    assert.equal(similarity('export invoices', 'invoices export'), 1);
    assert.equal(similarity('export invoices', 'rotate backups'), 0);
  });
});
