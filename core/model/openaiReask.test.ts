// An OpenAI-compatible server whose answer breaks the requested JSON schema: the pipeline asks again
// with the problems named (the re-ask an answer its own checks refuse gets), so one broken answer
// costs one request and the job completes; a second broken answer to the same request fails the job
// with the server's explanation and what to do, after exactly one re-ask.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenAiTestServer } from '../../test/support/openaiServer.ts';
import type { OpenAiTestServer } from '../../test/support/openaiServer.ts';
import { cooperativeAnswer, readSectionAsk } from '../../test/support/scriptedModel.ts';
import type { CompletionRequest } from './modelClient.ts';
import { OpenAiModelClient } from './openaiClient.ts';
import { SchemaBrokenAgainError } from './pipeline.ts';
import { createPipelineEngine } from './pipelineEngine.ts';
import { parseSpec } from '../spec/index.ts';
import { startHarness } from '../../test/e2e/support/inProcess.ts';

const PAGE = '<h1>Export</h1><p>FR-1: Users must export orders as CSV.</p><p>FR-2: The export must include the order date.</p>';

describe('a schema-breaking answer from an OpenAI-compatible server', () => {
  let server: OpenAiTestServer;
  /** Run once per served (schema-following) request, before it is answered; lets a test break the next one. */
  let onServed: (request: CompletionRequest) => void = () => undefined;

  before(async () => {
    server = await startOpenAiTestServer({
      flavor: 'llama-server',
      contextSize: 2048,
      sequences: 1,
      steer: (request) => {
        onServed(request);
        return cooperativeAnswer(request);
      },
    });
  });
  after(async () => {
    await server?.close();
  });

  const engine = async () => {
    const client = await OpenAiModelClient.connect({ baseUrl: `${server.url}/v1`, model: server.modelName, maxParallel: 1 });
    return createPipelineEngine(client, { parallelSections: 1 });
  };
  const reset = () => {
    server.resetStats();
    server.faults.ignoreSchema = false;
    server.faults.ignoreSchemaNext = 0;
    onServed = () => undefined;
  };

  test('a broken outline answer is asked again once and the job completes with the model’s stories', async () => {
    reset();
    server.faults.ignoreSchemaNext = 1;
    const e = await engine();
    try {
      const b = await e.generate(parseSpec(PAGE, { format: 'storage' }), { timeoutMs: 120_000 });
      const stats = e.lastStats!;
      assert.deepEqual(
        stats.perRequest.slice(0, 2).map((r) => [r.purpose, r.retry ?? null]),
        [
          ['outline', null],
          ['outline', 'invalid'],
        ],
      );
      assert.equal(stats.answers.invalid, 1);
      assert.equal(b.generator.kind, 'model', JSON.stringify(b.generator));
      assert.deepEqual(stats.coverage.drafted, [], 'nothing had to be drafted around the broken answer');
      assert.ok(b.epics.some((ep) => ep.title === 'Orders'), 'the re-asked outline was used');
    } finally {
      await e.dispose();
    }
  });

  test('a broken section answer takes the section re-ask with the problems named, and the job completes', async () => {
    reset();
    const retried: string[] = [];
    onServed = (request) => {
      // The outline is answered; the first section request after it breaks the schema.
      if (!readSectionAsk(request)) server.faults.ignoreSchemaNext = 1;
      else retried.push(request.messages.at(-1)!.content);
    };
    const e = await engine();
    try {
      const b = await e.generate(parseSpec(PAGE, { format: 'storage' }), { timeoutMs: 120_000 });
      const stats = e.lastStats!;
      const sections = stats.perRequest.filter((r) => r.purpose === 'section');
      assert.deepEqual(
        sections.map((r) => r.retry ?? null),
        [null, 'invalid'],
      );
      assert.equal(stats.answers.invalid, 1);
      assert.match(retried[0] ?? '', /Your previous answer could not be used: it did not follow the requested JSON schema \(/);
      assert.equal(b.generator.kind, 'model', JSON.stringify(b.generator));
      assert.deepEqual(stats.coverage.drafted, []);
      assert.ok(b.epics.flatMap((ep) => ep.stories).length > 0);
    } finally {
      await e.dispose();
    }
  });

  test('an outline answer broken every time fails the job after one re-ask, with the server’s reason and what to do', async () => {
    reset();
    server.faults.ignoreSchema = true;
    const e = await engine();
    try {
      await assert.rejects(e.generate(parseSpec(PAGE, { format: 'storage' }), { timeoutMs: 120_000 }), (err: unknown) => {
        assert.ok(err instanceof SchemaBrokenAgainError, String(err));
        assert.equal(err.code, 'bad_answer');
        assert.match(err.message, /answer to the outline request does not follow the requested JSON schema \(the answer is not JSON\)/);
        assert.match(err.message, /run Test on the Models page/);
        assert.match(err.message, /asked again with the problems named and the answer broke the schema again, so the job stopped\.$/);
        return true;
      });
      assert.equal(server.stats.requests, 2, 'bounded: the request and one re-ask');
    } finally {
      await e.dispose();
    }
  });

  test('a section answer broken every time fails the job after one re-ask of that section', async () => {
    reset();
    onServed = (request) => {
      if (!readSectionAsk(request)) server.faults.ignoreSchema = true;
    };
    const e = await engine();
    try {
      await assert.rejects(e.generate(parseSpec(PAGE, { format: 'storage' }), { timeoutMs: 120_000 }), (err: unknown) => {
        assert.ok(err instanceof SchemaBrokenAgainError, String(err));
        assert.match(err.message, /The section request for "Export" was asked again/);
        return true;
      });
      assert.equal(server.stats.requests, 3, 'the outline, the section request and one re-ask');
    } finally {
      await e.dispose();
    }
  });

  test('as jobs: a server that breaks the schema once still gets the page to review; one that always breaks it fails the job saying so', async () => {
    reset();
    const e = await engine();
    const h = await startHarness({ engine: e });
    try {
      h.fake.addPage({ id: '7101', title: 'Export', storage: PAGE, version: 1 });
      const submit = async (requestedBy: string) => {
        const res = await h.pub('/v1/jobs', { json: { pageId: '7101', siteUrl: h.fake.url, requestedBy } });
        assert.equal(res.status, 202, await res.clone().text());
        return ((await res.json()) as { jobId: string }).jobId;
      };
      server.faults.ignoreSchemaNext = 1;
      const once = await h.poll(await submit('once'), (j) => j.state === 'awaiting_review' || j.state === 'failed', 120_000);
      assert.equal(once.state, 'awaiting_review', JSON.stringify(once.error));
      assert.ok(once.counts && once.counts.stories > 0);

      server.faults.ignoreSchema = true;
      const before = server.stats.requests;
      const always = await h.poll(await submit('always'), (j) => j.state === 'awaiting_review' || j.state === 'failed', 120_000);
      assert.equal(always.state, 'failed');
      assert.match(always.error?.code ?? '', /bad_answer/);
      assert.match(always.error?.message ?? '', /does not follow the requested JSON schema.*run Test on the Models page.*broke the schema again, so the job stopped/);
      assert.equal(server.stats.requests - before, 2, 'bounded: the outline request and one re-ask');
    } finally {
      await h.close();
      await e.dispose();
    }
  });
});
