import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeAtlassian } from './server.ts';
import { parseJql } from './jql.ts';

const auth = (email: string, token: string) => `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;

describe('the fake Atlassian checks the contract', () => {
  test('a deliberately wrong request body is reported as an OpenAPI violation', async () => {
    const fake = await startFakeAtlassian();
    try {
      const res = await fetch(`${fake.url}/rest/api/3/issueLink`, {
        method: 'POST',
        headers: { Authorization: auth(fake.email, fake.apiToken), 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'Blocks', inward: 'PAY-1' }),
      });
      await res.text();
      assert.ok(fake.violations.some((v) => /POST \/rest\/api\/3\/issueLink: request body/.test(v)), fake.violations.join('\n'));
      assert.throws(() => fake.assertNoViolations(), /OpenAPI contract violation/);
    } finally {
      await fake.close();
    }
  });

  test('an unknown query parameter and an undocumented endpoint are violations too', async () => {
    const fake = await startFakeAtlassian();
    try {
      const h = { Authorization: auth(fake.email, fake.apiToken) };
      await (await fetch(`${fake.url}/rest/api/3/myself?bogus=1`, { headers: h })).text();
      await (await fetch(`${fake.url}/rest/api/3/not-an-endpoint`, { headers: h })).text();
      assert.ok(fake.violations.some((v) => /query parameter "bogus" is not defined/.test(v)));
      assert.ok(fake.violations.some((v) => /no such operation/.test(v)));
    } finally {
      await fake.close();
    }
  });

  test('correct requests produce no violations, and wrong credentials get 401', async () => {
    const fake = await startFakeAtlassian({ email: 'a@b.c', apiToken: 't0k' });
    try {
      const ok = await fetch(`${fake.url}/rest/api/3/search/jql?jql=project%20%3D%20PAY&maxResults=10&fields=summary`, { headers: { Authorization: auth('a@b.c', 't0k') } });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { issues: [], isLast: true });
      const denied = await fetch(`${fake.url}/rest/api/3/myself`, { headers: { Authorization: auth('a@b.c', 'wrong') } });
      assert.equal(denied.status, 401);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  });

  test('search pages with nextPageToken until isLast', async () => {
    const fake = await startFakeAtlassian();
    try {
      for (let i = 0; i < 7; i++) fake.addIssue({ projectKey: 'PAY', summary: `Issue ${i}`, labels: ['x'] });
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const q = new URLSearchParams({ jql: 'labels = "x"', maxResults: '3', fields: 'summary' });
        if (token) q.set('nextPageToken', token);
        const body = (await (await fetch(`${fake.url}/rest/api/3/search/jql?${q}`, { headers: { Authorization: auth(fake.email, fake.apiToken) } })).json()) as { issues: { key: string }[]; nextPageToken?: string };
        keys.push(...body.issues.map((i) => i.key));
        token = body.nextPageToken;
      } while (token);
      assert.equal(keys.length, 7);
      assert.equal(new Set(keys).size, 7);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  });

  test('links given at creation are made in the direction the new issue names them, without violations', async () => {
    const fake = await startFakeAtlassian();
    try {
      const h = { Authorization: auth(fake.email, fake.apiToken), 'Content-Type': 'application/json' };
      const blocker = fake.addIssue({ projectKey: 'PAY', summary: 'Blocker' });
      const blocked = fake.addIssue({ projectKey: 'PAY', summary: 'Blocked' });
      const story = (summary: string, side: 'inwardIssue' | 'outwardIssue', key: string) => ({
        fields: { project: { key: 'PAY' }, issuetype: { id: '10001' }, summary },
        update: { issuelinks: [{ add: { type: { name: 'Blocks' }, [side]: { key } } }] },
      });
      const res = await fetch(`${fake.url}/rest/api/3/issue/bulk`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ issueUpdates: [story('Waits for the blocker', 'inwardIssue', blocker.key), story('Holds up the blocked one', 'outwardIssue', blocked.key)] }),
      });
      assert.equal(res.status, 201);
      const { issues } = (await res.json()) as { issues: { key: string }[] };
      assert.deepEqual(
        fake.links.map((l) => [l.inwardKey, 'blocks', l.outwardKey, l.createdWith]),
        [[blocker.key, 'blocks', issues[0]!.key, 'create'], [issues[1]!.key, 'blocks', blocked.key, 'create']],
      );
      const got = (await (await fetch(`${fake.url}/rest/api/3/issue/${issues[0]!.key}?fields=issuelinks`, { headers: h })).json()) as { fields: { issuelinks: { inwardIssue?: { key: string } }[] } };
      assert.equal(got.fields.issuelinks[0]!.inwardIssue?.key, blocker.key, 'the new issue sees its blocker as inwardIssue');
      // A link to an issue that does not exist fails that element only.
      const bad = await fetch(`${fake.url}/rest/api/3/issue`, { method: 'POST', headers: h, body: JSON.stringify(story('Dangling', 'inwardIssue', 'PAY-999')) });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { errors: { issuelinks: string } }).errors.issuelinks, /PAY-999/);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  });

  test('a malformed issuelinks update or a field sent twice is an OpenAPI violation', async () => {
    const fake = await startFakeAtlassian();
    try {
      const h = { Authorization: auth(fake.email, fake.apiToken), 'Content-Type': 'application/json' };
      const a = fake.addIssue({ projectKey: 'PAY', summary: 'A' });
      const fields = { project: { key: 'PAY' }, issuetype: { id: '10001' }, summary: 'New' };
      const send = async (body: unknown) => (await fetch(`${fake.url}/rest/api/3/issue/bulk`, { method: 'POST', headers: h, body: JSON.stringify({ issueUpdates: [body] }) })).text();
      await send({ fields, update: { issuelinks: [{ add: { type: { name: 'Blocks' }, inwardIssue: { key: a.key }, outwardIssue: { key: a.key } } }] } });
      await send({ fields, update: { issuelinks: [{ add: { type: 'Blocks', inwardIssue: a.key } }] } });
      await send({ fields: { ...fields, labels: ['x'] }, update: { labels: [{ add: 'y' }] } });
      assert.equal(fake.violations.filter((v) => /issueUpdates\[0\]\.update\.issuelinks\[0\]/.test(v)).length, 2, fake.violations.join('\n'));
      assert.ok(fake.violations.some((v) => /issueUpdates\[0\]\.labels is in both fields and update/.test(v)), fake.violations.join('\n'));
      assert.equal(fake.links.length, 0, 'none of them made a link');
    } finally {
      await fake.close();
    }
  });

  test('a project without Description on its create screens lists no such field and refuses a description at creation', async () => {
    const fake = await startFakeAtlassian();
    try {
      const h = { Authorization: auth(fake.email, fake.apiToken), 'Content-Type': 'application/json' };
      const types = (await (await fetch(`${fake.url}/rest/api/3/issue/createmeta/LEAN/issuetypes`, { headers: h })).json()) as { issueTypes: { id: string; name: string }[] };
      assert.deepEqual(types.issueTypes.map((t) => t.name), ['Epic', 'Story', 'Sub-task']);
      for (const t of types.issueTypes) {
        const meta = (await (await fetch(`${fake.url}/rest/api/3/issue/createmeta/LEAN/issuetypes/${t.id}`, { headers: h })).json()) as { fields: { fieldId: string }[] };
        assert.ok(meta.fields.some((f) => f.fieldId === 'summary') && !meta.fields.some((f) => f.fieldId === 'description'), `${t.name}: ${meta.fields.map((f) => f.fieldId).join()}`);
      }
      const fields = { project: { key: 'LEAN' }, issuetype: { id: '10402' }, summary: 'A story' };
      const refused = await fetch(`${fake.url}/rest/api/3/issue`, { method: 'POST', headers: h, body: JSON.stringify({ fields: { ...fields, description: { version: 1, type: 'doc', content: [] } } }) });
      assert.equal(refused.status, 400);
      assert.match(((await refused.json()) as { errors: { description: string } }).errors.description, /not on the appropriate screen/);
      const made = await fetch(`${fake.url}/rest/api/3/issue`, { method: 'POST', headers: h, body: JSON.stringify({ fields }) });
      assert.equal(made.status, 201);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  });

  test('edit metadata follows each project\'s edit screens, which an edit is held to: LEAN has no Description, TRI has one its create screen lacks, TAG has no Labels', async () => {
    const fake = await startFakeAtlassian();
    try {
      const h = { Authorization: auth(fake.email, fake.apiToken), 'Content-Type': 'application/json' };
      const editable = async (key: string) => {
        const res = await fetch(`${fake.url}/rest/api/3/issue/${key}/editmeta`, { headers: h });
        assert.equal(res.status, 200);
        return Object.keys(((await res.json()) as { fields: Record<string, unknown> }).fields).sort();
      };
      const lean = fake.addIssue({ projectKey: 'LEAN', summary: 'Lean story', issueType: 'Story' });
      const tri = fake.addIssue({ projectKey: 'TRI', summary: 'Triage story', issueType: 'Story' });
      const pay = fake.addIssue({ projectKey: 'PAY', summary: 'Payments story', issueType: 'Story' });
      assert.deepEqual(await editable(lean.key), ['labels', 'parent', 'priority', 'summary']);
      assert.deepEqual(await editable(tri.key), ['description', 'labels', 'parent', 'priority', 'summary']);
      assert.ok((await editable(pay.key)).includes('description') && (await editable(pay.key)).includes('customfield_10016'));
      const description = { version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Details' }] }] };
      const put = (key: string) => fetch(`${fake.url}/rest/api/3/issue/${key}`, { method: 'PUT', headers: h, body: JSON.stringify({ fields: { description } }) });
      const refused = await put(lean.key);
      assert.equal(refused.status, 400);
      assert.match(((await refused.json()) as { errors: { description: string } }).errors.description, /not on the appropriate screen/);
      assert.equal((await put(tri.key)).status, 204);
      assert.deepEqual(tri.fields.description, description);
      assert.equal((await fetch(`${fake.url}/rest/api/3/issue/TRI-99/editmeta`, { headers: h })).status, 404);
      // TAG: Labels on the create screens only; an edit adding a label is refused, as Jira does.
      const tag = fake.addIssue({ projectKey: 'TAG', summary: 'Tagged story', issueType: 'Story' });
      assert.deepEqual(await editable(tag.key), ['description', 'parent', 'priority', 'summary']);
      const label = await fetch(`${fake.url}/rest/api/3/issue/${tag.key}`, { method: 'PUT', headers: h, body: JSON.stringify({ update: { labels: [{ add: 'spec-removed' }] } }) });
      assert.equal(label.status, 400);
      assert.match(((await label.json()) as { errors: { labels: string } }).errors.labels, /not on the appropriate screen/);
      assert.deepEqual(tag.labels, []);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  });

  test('the JQL subset parses quotes, escapes, OR, parentheses and ORDER BY', () => {
    assert.deepEqual(parseJql('project = "PAY" AND (summary ~ "a\\"b" OR labels in (x, "y z")) ORDER BY key ASC'), {
      kind: 'and',
      items: [
        { kind: 'clause', field: 'project', op: '=', values: ['PAY'] },
        { kind: 'or', items: [{ kind: 'clause', field: 'summary', op: '~', values: ['a"b'] }, { kind: 'clause', field: 'labels', op: 'in', values: ['x', 'y z'] }] },
      ],
    });
    assert.throws(() => parseJql('project = "PAY'), /unterminated/);
  });
});
