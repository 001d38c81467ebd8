// Behaviour of parseSpec beyond the corpus: stable ids under edits, refusal of unusable input,
// robustness against hostile structure, and the mapping details of Confluence storage format.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PAGE_BYTES, parseSpec } from './index.ts';
import { SpecInputError } from './types.ts';
import type { SpecDocument } from './types.ts';

const idsByText = (doc: SpecDocument) => new Map(doc.blocks.map((b) => [b.text, b.id]));

function expectInputError(fn: () => unknown, code: SpecInputError['code'], message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SpecInputError, `expected SpecInputError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** Deterministic pseudo-random bytes (xorshift32), so the "binary" case is the same on every run. */
function noise(length: number, seed = 0x2f6b1d3c): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('stable block ids', () => {
  const before = `
<h1>Checkout</h1>
<p>The checkout must accept cards.</p>
<ul><li>Saved cards come first</li><li>New cards can be saved<ul><li>Only with consent</li></ul></li><li>Wallets are supported</li></ul>
<table><tbody><tr><th>ID</th><th>Requirement</th></tr>
<tr><td>FR-1</td><td>Pay by card</td></tr><tr><td>FR-2</td><td>Pay by wallet</td></tr><tr><td>FR-3</td><td>Pay by invoice</td></tr></tbody></table>
<p>Refunds are out of scope.</p>`;

  test('inserting a paragraph at the top, editing one list item and deleting a table row leave every other id unchanged', () => {
    const after = before
      .replace('<h1>Checkout</h1>', '<h1>Checkout</h1><p>New introduction paragraph.</p>')
      .replace('Wallets are supported', 'Apple Pay and Google Pay wallets are supported')
      .replace('<tr><td>FR-2</td><td>Pay by wallet</td></tr>', '');
    const a = parseSpec(before);
    const b = parseSpec(after);
    const idsA = idsByText(a);
    const idsB = idsByText(b);
    const unchanged = [...idsA.keys()].filter((t) => t !== 'Wallets are supported' && !t.startsWith('ID: FR-2'));
    assert.equal(unchanged.length, a.blocks.length - 2);
    for (const text of unchanged) assert.equal(idsB.get(text), idsA.get(text), text);
    assert.notEqual(idsB.get('Apple Pay and Google Pay wallets are supported'), idsA.get('Wallets are supported'));
    // Parent links follow ids, not positions.
    const child = b.blocks.find((x) => x.text === 'Only with consent')!;
    assert.equal(child.parentBlockId, idsA.get('New cards can be saved'));
    assert.deepEqual(a.sections.map((s) => s.id), b.sections.map((s) => s.id));
  });

  test('ids look like b-<8 hex> and identical blocks get a deterministic suffix in document order', () => {
    const doc = parseSpec('<p>Same text</p><p>Other</p><p>Same   text</p><p>same text</p>');
    const [first, other, second, third] = doc.blocks.map((b) => b.id);
    assert.match(first!, /^b-[0-9a-f]{8}$/);
    assert.equal(second, `${first}-2`);
    assert.equal(third, `${first}-3`, 'case and spacing do not make a different block');
    assert.notEqual(other, first);
    assert.deepEqual(parseSpec('<p>Same text</p><p>Other</p><p>Same   text</p><p>same text</p>').blocks.map((b) => b.id), [first, other, second, third]);
  });

  test('renaming, adding or removing a table column keeps every row id; the row text still names the headers', () => {
    const a = parseSpec(before);
    const renamed = parseSpec(before.replace('<th>Requirement</th>', '<th>Capability</th><th>Owner</th>'));
    const rows = (doc: SpecDocument) => doc.blocks.filter((b) => b.kind === 'tableRow');
    assert.equal(rows(a).length, 3);
    assert.deepEqual(rows(renamed).map((b) => b.id), rows(a).map((b) => b.id));
    assert.equal(rows(a)[0]!.text, 'ID: FR-1; Requirement: Pay by card');
    assert.equal(rows(renamed)[0]!.text, 'ID: FR-1; Capability: Pay by card');
    // Header-less rows and rows with their own th label are keyed by all their own cells.
    const noHeader = parseSpec('<table><tbody><tr><td>FR-1</td><td>Pay by card</td></tr></tbody></table>');
    assert.equal(noHeader.blocks[0]!.id, rows(a)[0]!.id);
    const labelled = parseSpec('<table><tbody><tr><th>Owner</th><td>Alice</td></tr></tbody></table>');
    const relabelled = parseSpec('<table><tbody><tr><th>Owner</th><td>Bob</td></tr></tbody></table>');
    assert.equal(labelled.blocks[0]!.text, 'Owner: Alice');
    assert.notEqual(labelled.blocks[0]!.id, relabelled.blocks[0]!.id);
    // Editing a cell is an edit of the row itself.
    const edited = parseSpec(before.replace('Pay by card', 'Pay by debit card'));
    assert.notEqual(rows(edited)[0]!.id, rows(a)[0]!.id);
    assert.deepEqual(rows(edited).slice(1).map((b) => b.id), rows(a).slice(1).map((b) => b.id));
  });

  test('twins in different sections keep their ids when an earlier twin is inserted; twins in one section are numbered', () => {
    const page = (extra: string) => `
<h1>Spec</h1>${extra}
<h2>Cards</h2><ul><li>Errors are logged</li><li>Cards are validated</li></ul>
<h2>Wallets</h2><ul><li>Errors are logged</li></ul>
<h2>Invoices</h2><p>Errors are logged</p><ul><li>Errors are logged</li><li>Errors are logged</li></ul>`;
    const a = parseSpec(page(''));
    const b = parseSpec(page('<h2>Overview</h2><ul><li>Errors are logged</li></ul>'));
    const twins = (doc: SpecDocument) =>
      doc.blocks.filter((x) => x.kind === 'listItem' && x.text === 'Errors are logged').map((x) => [x.headingPath.at(-1), x.id]);
    const idsA = twins(a);
    const idsB = twins(b);
    assert.equal(idsB.length, idsA.length + 1);
    assert.equal(idsB[0]![0], 'Overview');
    assert.deepEqual(idsB.slice(1), idsA);
    assert.equal(new Set(idsB.map(([, id]) => id)).size, idsB.length, 'twins still get distinct ids');
    const [, , , invoices1, invoices2] = idsB.map(([, id]) => id);
    assert.equal(invoices2, `${invoices1}-2`, 'twins within one section fall back to page order');
    // A block without twins keeps the plain content id, whatever section it is in.
    const unique = a.blocks.find((x) => x.text === 'Cards are validated')!;
    const moved = parseSpec('<h1>Other</h1><ul><li>Cards are validated</li></ul>').blocks[0]!;
    assert.equal(moved.id, unique.id);
    // The paragraph twin is another kind of block, so it is no twin of the list items.
    assert.match(a.blocks.find((x) => x.kind === 'paragraph')!.id, /^b-[0-9a-f]{8}$/);
  });

  test('the same text as a different kind of block has a different id', () => {
    const doc = parseSpec('<p>Export as CSV</p><ul><li>Export as CSV</li></ul>');
    assert.notEqual(doc.blocks[0]!.id, doc.blocks[1]!.id);
    assert.equal(doc.blocks[1]!.id.endsWith('-2'), false);
  });
});

describe('unusable input is refused with a clear SpecInputError', () => {
  test('a 10 MB page is refused with a too_large error naming its size and the limit', () => {
    const page = `<p>${'Requirement text. '.repeat(10 * 1024 * 1024 / 18)}</p>`;
    expectInputError(() => parseSpec(page), 'too_large', /10\.0 MiB .*limit of 5\.0 MiB \(5,242,880 bytes\)/);
    expectInputError(() => parseSpec(Buffer.from(page)), 'too_large', /10\.0 MiB/);
    assert.equal(MAX_PAGE_BYTES, 5 * 1024 * 1024);
  });

  test('the size limit counts UTF-8 bytes and can be set per call', () => {
    const page = `<p>${'ä'.repeat(600)}</p>`; // 607 characters, 1,207 bytes
    expectInputError(() => parseSpec(page, { maxBytes: 1000 }), 'too_large', /1,207 bytes.*1,000 bytes/);
    assert.equal(parseSpec(page, { maxBytes: 2000 }).blocks.length, 1);
  });

  test('an empty or blank page is refused as empty', () => {
    expectInputError(() => parseSpec(''), 'empty');
    expectInputError(() => parseSpec(' \n\t '), 'empty');
    expectInputError(() => parseSpec(new Uint8Array()), 'empty');
    expectInputError(() => parseSpec('<p></p><p>&nbsp;</p><hr/>'), 'empty', /no text content/);
  });

  test('binary garbage is refused as binary, whether bytes or a string with NULs', () => {
    expectInputError(() => parseSpec(noise(64 * 1024)), 'binary', /binary data/);
    expectInputError(() => parseSpec('<p>abc\u0000def</p>'), 'binary', /1 NUL bytes/);
    expectInputError(() => parseSpec(noise(4096), { format: 'markdown' }), 'binary');
  });

  test('a page that holds only app macros is refused as no_content, naming what was skipped', () => {
    expectInputError(
      () => parseSpec('<ac:structured-macro ac:name="forge-jira-roadmap"><ac:parameter ac:name="x">1</ac:parameter></ac:structured-macro>'),
      'no_content',
      /forge-jira-roadmap/,
    );
  });

  test('anything but text or bytes, or an unknown format, is unreadable', () => {
    expectInputError(() => parseSpec(42 as unknown as string), 'unreadable', /text or bytes/);
    expectInputError(() => parseSpec('<p>x</p>', { format: 'docx' as 'text' }), 'unreadable', /Unknown page format 'docx'/);
  });
});

describe('robustness', () => {
  test('a 5,000-deep nested list parses without recursion: depth capped at 64 with a warning, parents intact', () => {
    const depth = 5000;
    const page = `<ul>${'<li>level<ul>'.repeat(depth)}<li>leaf</li>${'</ul></li>'.repeat(depth)}</ul>`;
    const doc = parseSpec(page);
    assert.equal(doc.blocks.length, depth + 1);
    assert.equal(doc.blocks[0]!.depth, 0);
    assert.equal(doc.blocks[64]!.depth, 64);
    assert.equal(doc.blocks[depth]!.depth, 64);
    for (let i = 1; i <= depth; i++) assert.equal(doc.blocks[i]!.parentBlockId, doc.blocks[i - 1]!.id);
    assert.deepEqual(doc.warnings.map((w) => w.code), ['depth_capped']);
    assert.match(doc.warnings[0]!.message, /deeper than 64 levels/);
  });

  test('5,000 unclosed nested lists and 20,000 unclosed divs are recovered with one warning per tag', () => {
    const lists = parseSpec(`<ul>${'<li>item<ul>'.repeat(5000)}`);
    assert.equal(lists.blocks.length, 5000);
    assert.deepEqual(lists.warnings.map((w) => w.code), ['depth_capped', 'unclosed_tag']);
    assert.match(lists.warnings[1]!.message, /<ul> was not closed properly 5000 times/);
    const divs = parseSpec(`${'<div>'.repeat(20000)}deep text`);
    assert.deepEqual(divs.blocks.map((b) => b.text), ['deep text']);
    assert.equal(divs.warnings.length, 1);
  });

  test('an images-only page parses with zero requirements and a "no text content" warning', () => {
    const doc = parseSpec('<p><ac:image><ri:attachment ri:filename="a.png" /></ac:image></p><ac:image ac:alt="Flow"><ri:url ri:value="https://x.test/b.svg" /></ac:image>');
    assert.deepEqual(doc.blocks.map((b) => [b.kind, b.text]), [
      ['image', 'Image: a.png'],
      ['image', 'Image: https://x.test/b.svg (Flow)'],
    ]);
    assert.equal(doc.blocks.filter((b) => b.tags.length > 0).length, 0);
    assert.deepEqual(doc.warnings.map((w) => w.code), ['no_text_content']);
    assert.match(doc.warnings[0]!.message, /no text content/);
    assert.equal(doc.language, 'und');
  });

  test('a page with headings but no text parses, with a "no text content" warning', () => {
    const doc = parseSpec('<h1>Plan</h1><h2>Goals</h2>');
    assert.deepEqual(doc.sections.map((s) => s.title), ['Plan', 'Plan', 'Goals']);
    assert.deepEqual(doc.blocks, []);
    assert.deepEqual(doc.warnings.map((w) => w.code), ['no_text_content']);
  });

  test('invalid UTF-8 below the binary threshold is replaced and reported', () => {
    const bytes = Buffer.concat([Buffer.from('<p>The system must log in '), Buffer.from([0xff]), Buffer.from(' users.</p>')]);
    const doc = parseSpec(bytes);
    assert.equal(doc.blocks[0]!.text, 'The system must log in \ufffd users.');
    assert.deepEqual(doc.warnings.map((w) => w.code), ['invalid_utf8']);
  });

  test('UTF-16 pages with a byte-order mark are decoded', () => {
    const text = '<h1>Größe</h1><p>Das System muss skalieren.</p>';
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const doc = parseSpec(bytes);
    assert.equal(doc.title, 'Größe');
    assert.equal(doc.blocks[0]!.text, 'Das System muss skalieren.');
  });
});

describe('Confluence storage format mapping', () => {
  test('the title comes from options, else the first h1, else "Untitled page"', () => {
    assert.equal(parseSpec('<h2>Sub</h2><h1>First</h1><h1>Second</h1><p>x</p>').title, 'First');
    assert.equal(parseSpec('<h1>First</h1><p>x</p>', { title: ' Given title ' }).title, 'Given title');
    assert.equal(parseSpec('<h2>Sub</h2><p>x</p>').title, 'Untitled page');
  });

  test('content before the first heading sits in the level-0 root section; headings nest by level', () => {
    const doc = parseSpec('<p>Intro</p><h2>A</h2><p>a</p><h3>A1</h3><p>a1</p><h2>B</h2><p>b</p><h4>B deep</h4><p>bd</p>');
    assert.deepEqual(doc.sections.map((s) => [s.level, s.headingPath.join(' > '), s.blockIds.length]), [
      [0, '', 1],
      [2, 'A', 1],
      [3, 'A > A1', 1],
      [2, 'B', 1],
      [4, 'B > B deep', 1],
    ]);
    assert.equal(doc.sections[2]!.parentId, doc.sections[1]!.id);
    assert.equal(doc.sections[4]!.parentId, doc.sections[3]!.id);
    assert.equal(doc.blocks[0]!.sectionId, 's-root');
    assert.match(doc.sections[1]!.id, /^s-[0-9a-f]{8}$/);
    assert.deepEqual(doc.blocks[2]!.headingPath, ['A', 'A1']);
  });

  test('a list item\'s text is its own text, not its children\'s; nested items link to their parent', () => {
    const doc = parseSpec('<ol><li><p>Parent <strong>item</strong></p><ul><li>Child one</li><li>Child two</li></ul></li></ol>');
    assert.deepEqual(doc.blocks.map((b) => [b.text, b.depth, b.parentBlockId ?? null]), [
      ['Parent item', 0, null],
      ['Child one', 1, doc.blocks[0]!.id],
      ['Child two', 1, doc.blocks[0]!.id],
    ]);
  });

  test('table rows: th column labels become headers; tables without headers join cells; lists in cells stay in the row', () => {
    const vertical = parseSpec('<table><tr><th>Owner</th><td>Alice</td></tr><tr><th>Due</th><td>May</td></tr></table>');
    assert.deepEqual(vertical.blocks.map((b) => b.text), ['Owner: Alice', 'Due: May']);
    assert.deepEqual(vertical.blocks[0]!.cells, [{ header: 'Owner', text: 'Alice' }]);
    const plain = parseSpec('<table><tr><td>a</td><td></td><td>c</td></tr></table>');
    assert.equal(plain.blocks[0]!.text, 'a; c');
    assert.deepEqual(plain.blocks[0]!.cells, [{ text: 'a' }, { text: '' }, { text: 'c' }]);
    const thead = parseSpec('<table><thead><tr><td>Step</td><td>Result</td></tr></thead><tbody><tr><td>Login</td><td><ul><li>Token</li><li>Cookie</li></ul></td></tr></tbody></table>');
    assert.deepEqual(thead.blocks.map((b) => [b.kind, b.text]), [['tableRow', 'Step: Login; Result: • Token • Cookie']]);
  });

  test('code macro keeps CDATA verbatim (no entity decoding); br is a line break; hr, placeholders and anchors vanish', () => {
    const doc = parseSpec(
      '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">xml</ac:parameter><ac:plain-text-body><![CDATA[<a href="x">&nbsp;</a>\n  indented]]></ac:plain-text-body></ac:structured-macro>' +
        '<p>Line one<br/>Line two <ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">top</ac:parameter></ac:structured-macro></p><hr/><p><ac:placeholder>Type here</ac:placeholder>Due <time datetime="2025-06-30" /></p>',
    );
    assert.deepEqual(doc.blocks.map((b) => [b.kind, b.text]), [
      ['code', '<a href="x">&nbsp;</a>\n  indented'],
      ['paragraph', 'Line one\nLine two'],
      ['paragraph', 'Due 2025-06-30'],
    ]);
    assert.equal(doc.blocks[0]!.language, 'xml');
    assert.deepEqual(doc.warnings, []);
  });

  test('HTML named entities that are not XML entities are decoded', () => {
    const doc = parseSpec('<p>It&rsquo;s&nbsp;done &mdash; caf&eacute; &hellip; &euro;5 &amp; more</p>');
    assert.equal(doc.blocks[0]!.text, 'It’s done — café … €5 & more');
  });

  test('links read as people read them: page title, link body, @mention, attachment, plain anchor', () => {
    const doc = parseSpec(
      '<p><ac:link><ri:page ri:content-title="Pricing" /></ac:link>, <ac:link><ri:page ri:content-title="X" /><ac:plain-text-link-body><![CDATA[the X page]]></ac:plain-text-link-body></ac:link>, ' +
        '<ac:link><ri:user ri:account-id="abc" /></ac:link>, <ac:link><ri:user ri:account-id="abc" /><ac:link-body>Sam</ac:link-body></ac:link>, ' +
        '<ac:link><ri:attachment ri:filename="plan.pdf" /></ac:link>, <a href="https://example.com/docs">the docs</a>, <a href="https://example.com/raw"></a></p>',
    );
    assert.equal(doc.blocks[0]!.text, 'Pricing, the X page, @user, @Sam, plan.pdf, the docs, https://example.com/raw');
  });

  test('blockquote becomes a quote; text in a panel inside a list item stays in the item', () => {
    const doc = parseSpec('<blockquote><p>Users must never see another tenant\'s data.</p></blockquote>');
    assert.deepEqual(doc.blocks.map((b) => [b.kind, b.tags]), [['quote', ['modal']]]);
    const listed = parseSpec(
      '<ul><li>Refunds are logged<ac:structured-macro ac:name="note"><ac:parameter ac:name="title">Audit</ac:parameter>' +
        '<ac:rich-text-body><p>Finance must see every refund.</p></ac:rich-text-body></ac:structured-macro></li><li>Second item</li></ul>',
    );
    // The panel's text belongs to the item it was written in (its requirement makes the item one), not to a block of its own.
    assert.deepEqual(listed.blocks.map((b) => [b.kind, b.text, b.tags, b.depth]), [
      ['listItem', 'Refunds are logged\nFinance must see every refund.', ['modal'], 0],
      ['listItem', 'Second item', [], 0],
    ]);
    assert.equal(listed.blocks.some((b) => b.text.includes('Audit')), false, 'the panel title is a parameter, not text');
  });

  test('status and Jira macros are references, not requirements, even with requirement-like titles', () => {
    const doc = parseSpec(
      '<p><ac:structured-macro ac:name="status"><ac:parameter ac:name="title">MUST FR-1</ac:parameter></ac:structured-macro></p>' +
        '<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">ABC-1</ac:parameter></ac:structured-macro>' +
        '<ac:structured-macro ac:name="jira"><ac:parameter ac:name="jqlQuery">project = ABC</ac:parameter></ac:structured-macro><p>x</p>',
    );
    assert.deepEqual(doc.blocks.map((b) => [b.kind, b.tags.length]), [
      ['status', 0],
      ['jiraIssue', 0],
      ['paragraph', 0],
    ]);
    assert.deepEqual(doc.blocks[0]!.status, { title: 'MUST FR-1' });
    assert.deepEqual(doc.warnings.map((w) => w.code), ['skipped_macro']);
    assert.match(doc.warnings[0]!.message, /JQL/);
  });

  test('emoticons read as emoji: the page\'s own fallback, the known name, else the short name', () => {
    const doc = parseSpec(
      '<p>a <ac:emoticon ac:name="blue-star" ac:emoji-shortname=":rocket:" ac:emoji-fallback="🚀" /> b <ac:emoticon ac:name="tick" /> c <ac:emoticon ac:name="custom" ac:emoji-shortname=":party:" ac:emoji-fallback=":party:" /> d <ac:emoticon ac:name="mystery" /></p>',
    );
    assert.equal(doc.blocks[0]!.text, 'a 🚀 b ✅ c :party: d :mystery:');
  });

  test('tasks: status complete/incomplete, nested task lists, mentions and dates in the body', () => {
    const doc = parseSpec(
      '<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>Parent</ac:task-body></ac:task>' +
        '<ac:task-list><ac:task><ac:task-id>2</ac:task-id><ac:task-status>complete</ac:task-status><ac:task-body><ri:user ri:account-id="x" /> checks by <time datetime="2025-01-02" /></ac:task-body></ac:task></ac:task-list></ac:task-list>',
    );
    assert.deepEqual(doc.blocks.map((b) => [b.kind, b.text, b.done, b.tags]), [
      ['task', 'Parent', false, ['openTask']],
      ['task', '@user checks by 2025-01-02', true, []],
    ]);
  });

  test('app content is skipped with a warning naming it; a page without anything else is refused', () => {
    const doc = parseSpec(
      '<p>Kept</p><ac:adf-extension><ac:adf-node type="decision-list"><ac:adf-content><p>decided</p></ac:adf-content></ac:adf-node></ac:adf-extension>' +
        '<ac:structured-macro ac:name="include"><ac:parameter ac:name=""><ac:link><ri:page ri:content-title="Shared glossary" /></ac:link></ac:parameter></ac:structured-macro>' +
        '<ac:structured-macro ac:name="include"></ac:structured-macro>',
    );
    assert.deepEqual(doc.blocks.map((b) => b.text), ['Kept']);
    assert.deepEqual(doc.warnings.map((w) => [w.code, /decision-list|Skipped 2 'include' macros: text included from other pages/.test(w.message)]), [
      ['skipped_extension', true],
      ['skipped_macro', true],
    ]);
  });

  test('images: attachment with caption, HTML img with alt, and an image inside a paragraph with text', () => {
    const doc = parseSpec(
      '<ac:image><ri:attachment ri:filename="erd.png" /><ac:caption><p>Entity model</p></ac:caption></ac:image>' +
        '<p>See <img src="https://x.test/a/flow%20chart.png?v=2" alt="Flow" /> below</p><p><img src="bad%zz.png" /></p>',
    );
    assert.deepEqual(doc.blocks.map((b) => [b.kind, b.text]), [
      ['image', 'Image: erd.png (Entity model)'],
      ['paragraph', 'See below'],
      ['image', 'Image: flow chart.png (Flow)'],
      ['image', 'Image: bad%zz.png'],
    ]);
  });

  test('mismatched and unclosed inline tags are reported once per element, with a count', () => {
    const doc = parseSpec('<p><b>one <i>two</b> three</i></p><p><b>four <i>five</b></i></p><div><span>open');
    assert.deepEqual(doc.blocks.map((b) => b.text), ['one two three', 'four five', 'open']);
    assert.deepEqual(doc.warnings.map((w) => w.message), [
      'The element <i> was not closed properly 2 times; the text was kept.',
      'The element <span> was not closed properly; its text was kept.',
      'The element <div> was not closed properly; its text was kept.',
    ]);
  });

  test('headings are not requirements even when they contain ids or modal verbs', () => {
    const doc = parseSpec('<h2>FR-9 The system must scale</h2><p>Details follow.</p>');
    assert.deepEqual(doc.blocks.map((b) => b.tags), [[]]);
    assert.equal(doc.sections[1]!.title, 'FR-9 The system must scale');
  });
});

describe('requirement tagging', () => {
  const tagsOf = (text: string) => parseSpec(`<p>${text}</p>`).blocks[0]!.tags;

  test('"will" is a requirement only with a system-like subject', () => {
    assert.deepEqual(tagsOf('The system will lock the account after five failed logins.'), ['modal']);
    assert.deepEqual(tagsOf('Users will receive a receipt by e-mail.'), ['modal']);
    assert.deepEqual(tagsOf('We will meet on Friday to review the design.'), []);
    assert.deepEqual(tagsOf('I will send the notes.'), []);
  });

  test('modal verbs in English, German, French and Spanish', () => {
    for (const text of [
      'Passwords must be hashed.',
      'The API shall return JSON.',
      'Exports should finish in a minute.',
      'Die Anwendung muss barrierefrei sein.',
      'Berichte sollen täglich erstellt werden.',
      'Le système doit chiffrer les données.',
      'Les rapports devront être signés.',
      'El sistema debe registrar cada acceso.',
      'Los informes deberán enviarse cada lunes.',
    ]) {
      assert.deepEqual(tagsOf(text), ['modal'], text);
    }
    assert.deepEqual(tagsOf('The mustard seed is yellow.'), [], 'no match inside words');
  });

  test('requirement ids are recognised; Jira keys and lower-case look-alikes are not', () => {
    const first = (text: string) => parseSpec(`<p>${text}</p>`).blocks[0]!;
    assert.equal(first('FR-001 Login').requirementId, 'FR-001');
    assert.equal(first('See REQ-12 and NFR-4').requirementId, 'REQ-12');
    assert.equal(first('US-3: Export').requirementId, 'US-3');
    assert.equal(first('BR-2 and AC-1').requirementId, 'BR-2');
    assert.equal(first('Covered by FR-AUTH-01.').requirementId, 'FR-AUTH-01');
    assert.equal(first('RF-12 Reservar una sala').requirementId, 'RF-12');
    assert.equal(first('Ver RNF-3.').requirementId, 'RNF-3');
    assert.equal(first('Tracked in PROJ-123.').requirementId, undefined);
    assert.equal(first('our us-3 team').requirementId, undefined);
  });

  test('user stories in four languages', () => {
    for (const text of [
      'As an auditor, I want an export so that I can archive it.',
      'Als Kundin möchte ich meine Rechnungen sehen, damit ich sie prüfen kann.',
      'En tant qu\'administrateur, je veux désactiver un compte.',
      'Como usuario, quiero restablecer mi contraseña para volver a entrar.',
    ]) {
      assert.deepEqual(tagsOf(text), ['userStory'], text);
    }
  });

  test('Given/When/Then in four languages, and a "When" step only continues a scenario', () => {
    assert.deepEqual(tagsOf('Dado un pedido pagado, cuando lo cancelo, entonces recibo un reembolso.'), ['gherkin']);
    assert.deepEqual(tagsOf('When the meeting ended everyone left.'), []);
    const doc = parseSpec('<ul><li>Given a user</li><li>When they log in</li><li>Then a session starts</li></ul><p>Then we had lunch.</p><h2>Next</h2><ul><li>When it rains</li></ul>');
    assert.deepEqual(doc.blocks.map((b) => b.tags.includes('gherkin')), [true, true, true, false, false]);
  });

  test('acceptance criteria come from a heading or a lead-in, including inside a story item', () => {
    const doc = parseSpec(
      '<ul><li>As a buyer, I want receipts<br/>Acceptance criteria:<ul><li>PDF attached</li></ul></li><li>Plain item</li></ul>' +
        '<p>Akzeptanzkriterien:</p><ul><li>Rechnung als PDF</li></ul><p>Notes</p><ul><li>Not a criterion</li></ul>',
    );
    const ac = doc.blocks.filter((b) => b.tags.includes('acceptanceCriteria')).map((b) => b.text);
    assert.deepEqual(ac, ['PDF attached', 'Rechnung als PDF']);
  });

  test('language detection picks Spanish and English from stop words', () => {
    assert.equal(parseSpec('<p>El usuario debe poder descargar las facturas del mes y ver su estado.</p>').language, 'es');
    assert.equal(parseSpec('<p>The user can download the invoices of the month and see their state.</p>').language, 'en');
  });
});

describe('Markdown and plain text', () => {
  // The same spec written three ways. Ids come from kind + own text (+ heading path for twins), never
  // from markup, so a page pasted as Markdown or text cites the same blocks as its storage version.
  const crossStorage = `<h1>Invoice export</h1>
<p>FR-010 The system must export invoices as CSV.</p>
<p>As a bookkeeper, I want to filter invoices by month so that I can close the books.</p>
<h2>Acceptance criteria</h2>
<ul><li>Given an invoice list</li><li>When I choose March</li><li>Then only March invoices are shown<ul><li>Credit notes count as invoices</li></ul></li></ul>
<h2>Open points</h2>
<ac:task-list><ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body>Confirm the CSV delimiter with Finance</ac:task-body></ac:task>
<ac:task><ac:task-status>complete</ac:task-status><ac:task-body>Agree on the file name</ac:task-body></ac:task></ac:task-list>
<p>Exports should finish within 10 seconds.</p>
<ul><li>Errors are logged</li></ul>
<h2>Logging</h2>
<ul><li>Errors are logged</li></ul>`;
  const crossMarkdown = `# Invoice export

FR-010 The system must export invoices as CSV.

As a bookkeeper, I want to filter invoices by month so that I can close the books.

## Acceptance criteria

- Given an invoice list
- When I choose March
- Then only March invoices are shown
  - Credit notes count as invoices

## Open points

- [ ] Confirm the CSV delimiter with Finance
- [x] Agree on the file name

Exports should finish within 10 seconds.

* Errors are logged

## Logging

1. Errors are logged
`;

  test('the same spec as storage, Markdown and plain text gives the same blocks: kinds, texts, tags, requirement ids, ids, parents', () => {
    const docs = [parseSpec(crossStorage), parseSpec(crossMarkdown, { format: 'markdown' }), parseSpec(crossMarkdown, { format: 'text' })];
    // Tasks are list items in Markdown and text (so they carry a depth) but a list of their own in storage;
    // depth is compared for list items only, where every format has it.
    const shape = (doc: SpecDocument) =>
      doc.blocks.map((b) => ({
        id: b.id,
        kind: b.kind,
        text: b.text,
        tags: b.tags,
        requirementId: b.requirementId,
        headingPath: b.headingPath.join(' > '),
        parent: b.parentBlockId,
        depth: b.kind === 'listItem' ? b.depth : undefined,
        done: b.done,
      }));
    const [storage, markdown, text] = docs.map(shape);
    assert.equal(storage!.length, 11);
    assert.deepEqual(markdown, storage);
    assert.deepEqual(text, storage);
    assert.deepEqual(storage!.map((b) => [b.kind, b.tags.join(',')]), [
      ['paragraph', 'id,modal'],
      ['paragraph', 'userStory'],
      ['listItem', 'gherkin,acceptanceCriteria'],
      ['listItem', 'gherkin,acceptanceCriteria'],
      ['listItem', 'gherkin,acceptanceCriteria'],
      ['listItem', 'acceptanceCriteria'],
      ['task', 'openTask'],
      ['task', ''],
      ['paragraph', 'modal'],
      ['listItem', ''],
      ['listItem', ''],
    ]);
    assert.equal(storage![0]!.requirementId, 'FR-010');
    assert.deepEqual(docs.map((d) => [d.title, d.language, d.sections.map((s) => s.id).join()]), docs.map(() => [docs[0]!.title, 'en', docs[0]!.sections.map((s) => s.id).join()]));
    assert.deepEqual(docs.map((d) => d.format), ['storage', 'markdown', 'text']);
  });

  test('tables, code and quotes read the same from storage and Markdown (plain text has none of them)', () => {
    const storage = parseSpec(
      '<h1>T</h1><table><tbody><tr><th>ID</th><th>Requirement</th></tr><tr><td>NFR-2</td><td>Exports must be UTF-8 encoded.</td></tr></tbody></table>' +
        '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">sql</ac:parameter><ac:plain-text-body><![CDATA[SELECT id\n  FROM invoices;]]></ac:plain-text-body></ac:structured-macro>' +
        '<blockquote><p>Finance must sign off every format change.</p></blockquote>',
    );
    const markdown = parseSpec(
      '# T\n\n| ID | Requirement |\n|---|---|\n| NFR-2 | Exports must be UTF-8 encoded. |\n\n```sql\nSELECT id\n  FROM invoices;\n```\n\n> Finance must sign off every format change.\n',
      { format: 'markdown' },
    );
    const shape = (doc: SpecDocument) => doc.blocks.map((b) => [b.id, b.kind, b.text, b.tags, b.requirementId, b.language, b.cells]);
    assert.deepEqual(shape(markdown), shape(storage));
    assert.deepEqual(storage.blocks.map((b) => b.kind), ['tableRow', 'code', 'quote']);
    assert.equal(storage.blocks[0]!.requirementId, 'NFR-2');
  });

  test('raw HTML in Markdown is text, not storage markup', () => {
    const doc = parseSpec('<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">X-1</ac:parameter></ac:structured-macro>\n\nPlain', { format: 'markdown' });
    assert.equal(doc.blocks.length, 2);
    assert.equal(doc.blocks.some((b) => b.kind === 'jiraIssue'), false);
    assert.match(doc.blocks[0]!.text, /^<ac:structured-macro/);
  });

  test('Markdown nested beyond the renderer\'s limit is reported, not silently cut', () => {
    const deepList = Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i)}- item ${i}`).join('\n');
    const doc = parseSpec(deepList, { format: 'markdown' });
    assert.ok(doc.blocks.length >= 40 && doc.blocks.length < 200, `${doc.blocks.length} blocks`);
    assert.deepEqual(doc.warnings.map((w) => w.code), ['depth_capped']);
    expectInputError(() => parseSpec(`${'> '.repeat(5000)}deep quote`, { format: 'markdown' }), 'no_content', /deeper than the reader allows/);
  });

  test('plain text: a 5,000-deep indented list is read without recursion', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i % 2 === 0 ? 0 : 2)}- item ${i}`).join('\n');
    const doc = parseSpec(text, { format: 'text' });
    assert.equal(doc.blocks.length, 5000);
    assert.deepEqual(doc.blocks.slice(0, 3).map((b) => b.depth), [0, 1, 0]);
    assert.equal(doc.blocks[1]!.parentBlockId, doc.blocks[0]!.id);
    const deep = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}* level ${i}`).join('\n');
    const deepDoc = parseSpec(deep, { format: 'text' });
    assert.equal(deepDoc.blocks.at(-1)!.depth, 64);
    assert.deepEqual(deepDoc.warnings.map((w) => w.code), ['depth_capped']);
  });

  test('plain text: paragraphs join wrapped lines; "# " makes a heading; numbered items are list items', () => {
    const doc = parseSpec('# Title\n\nFirst line\nsecond line.\n\n1. One\n2) Two\n\n## Part\nBody', { format: 'text' });
    assert.equal(doc.title, 'Title');
    assert.deepEqual(doc.blocks.map((b) => [b.kind, b.text, b.headingPath.join('>')]), [
      ['paragraph', 'First line second line.', 'Title'],
      ['listItem', 'One', 'Title'],
      ['listItem', 'Two', 'Title'],
      ['paragraph', 'Body', 'Title>Part'],
    ]);
  });
});

describe('success criteria, KPIs and edge cases are requirements', () => {
  test('SC- and KPI- ids, items under success-criteria and edge-case headings are tagged', () => {
    const doc = parseSpec(
      '<h2>Success Criteria</h2><h3>Measurable Outcomes</h3><ul><li><strong>SC-001</strong>: Users finish in under 2 minutes</li><li>Support tickets drop by 20%</li></ul>' +
        '<h2>KPIs</h2><p>KPI-3: weekly active teams</p>' +
        '<h2>Edge Cases</h2><ul><li>What happens when the file is empty?</li></ul><p>We will meet on Tuesday.</p>',
    );
    const tags = (start: string) => doc.blocks.find((b) => b.text.startsWith(start))!.tags;
    assert.deepEqual(tags('SC-001'), ['id', 'successCriterion']);
    assert.equal(doc.blocks.find((b) => b.text.startsWith('SC-001'))!.requirementId, 'SC-001');
    assert.deepEqual(tags('Support tickets'), ['successCriterion']);
    assert.deepEqual(tags('KPI-3'), ['id', 'successCriterion']);
    assert.deepEqual(tags('What happens'), ['edgeCase']);
    assert.deepEqual(tags('We will meet'), ['edgeCase'], 'every item under an edge-case heading is one');
  });
});


test('blocks are plain objects with only the fields they have, in the documented order', () => {
  const doc = parseSpec('<h1>Orders</h1><ul><li>FR-7 The system must keep orders.<ul><li>For a year</li></ul></li></ul><p>Plain text here.</p>');
  const [item, nested, paragraph] = doc.blocks;
  const section = doc.sections[1]!;
  assert.deepEqual(item, { id: item!.id, kind: 'listItem', text: 'FR-7 The system must keep orders.', headingPath: ['Orders'], sectionId: section.id, tags: ['id', 'modal'], requirementId: 'FR-7', depth: 0 });
  assert.deepEqual(Object.keys(nested!), ['id', 'kind', 'text', 'headingPath', 'sectionId', 'tags', 'depth', 'parentBlockId']);
  assert.equal(nested!.parentBlockId, item!.id);
  assert.deepEqual(Object.keys(paragraph!), ['id', 'kind', 'text', 'headingPath', 'sectionId', 'tags']);
  for (const b of doc.blocks) assert.equal(Object.getPrototypeOf(b), Object.prototype);
});
