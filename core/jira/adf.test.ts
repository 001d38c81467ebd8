import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { composeIssueDescription, markdownToAdf } from './adf.ts';

// The ADF JSON schema published by Atlassian in @atlaskit/adf-schema (draft-04; it uses no keyword
// whose meaning changed since, so ajv's default draft validates it once $schema is dropped).
const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@atlaskit/adf-schema/dist/json-schema/v1/full.json');
const { $schema: _draft, ...adfSchema } = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ strict: false, allErrors: true }).compile(adfSchema);
const assertValidAdf = (doc: unknown) => assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 3)));

describe('Jira descriptions in Atlassian Document Format', () => {
  test('an item with Markdown description, criteria and source note is one valid ADF document', () => {
    const doc = composeIssueDescription({
      description: '## Context\n\nRefunds **must** be queued.\n\n- card\n- `SEPA`\n\n```sql\nselect 1\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |',
      acceptanceCriteria: ['Given a paid order, when I ask for a refund, then it is queued', 'Shown within *1 minute*'],
      source: { pageTitle: 'Payments spec', pageUrl: 'https://acme.atlassian.net/wiki/spaces/SPEC/pages/4242', blockIds: ['b1.2', 'b1.3'] },
    });
    assertValidAdf(doc);
    const types = doc.content.map((n) => n.type);
    assert.deepEqual(types.slice(-4), ['heading', 'bulletList', 'rule', 'paragraph']);
    const note = JSON.stringify(doc.content.at(-1));
    assert.match(note, /"href":"https:\/\/acme\.atlassian\.net\/wiki\/spaces\/SPEC\/pages\/4242"/);
    assert.match(note, /blocks b1\.2, b1\.3/);
  });

  test('an empty item still gives a valid document', () => {
    assertValidAdf(composeIssueDescription({ description: '', acceptanceCriteria: [] }));
  });

  test('unusual Markdown (empty lines, task lists, nested lists, emoji, HTML) stays valid ADF', () => {
    for (const md of ['', '\n\n\n', '- [ ] todo\n- [x] done', '1. one\n   - nested\n2. two', '> quote 🎉 ünïcödé', '<b>raw html</b> & stuff', '# Title\n\n---\n\ntext']) {
      assertValidAdf(markdownToAdf(md));
    }
  });

  test('the schema check is real: a text node without text is rejected', () => {
    assert.equal(validate({ version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text' }] }] }), false);
  });
});
