// Expected structure of every corpus page: sections, block counts by kind, tags, ids, texts and flags.
// Exact expectations on purpose: any change in how a page is read shows up here first.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../core/spec/index.ts';
import type { SpecBlock, SpecDocument } from '../../core/spec/types.ts';
import { CORPUS_PAGES, LARGE_PAGE_TARGET_BYTES, generateLargePage, loadCorpusPage } from './index.ts';

function parsePage(name: string): SpecDocument {
  const { page, content } = loadCorpusPage(name);
  return parseSpec(content, { format: page.format });
}

function kindCounts(doc: SpecDocument): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const b of doc.blocks) counts[b.kind] = (counts[b.kind] ?? 0) + 1;
  return counts;
}

function block(doc: SpecDocument, textStart: string): SpecBlock {
  const found = doc.blocks.filter((b) => b.text.startsWith(textStart));
  assert.equal(found.length, 1, `expected exactly one block starting with "${textStart}", found ${found.length}`);
  return found[0]!;
}

const outline = (doc: SpecDocument) => doc.sections.map((s) => `${s.level} ${s.title} (${s.blockIds.length})`);
const requirementIds = (doc: SpecDocument) => doc.blocks.flatMap((b) => (b.requirementId ? [b.requirementId] : []));

describe('spec corpus', () => {
  test('every corpus page loads and parses without throwing', () => {
    assert.equal(CORPUS_PAGES.filter((p) => p.format === 'storage').length >= 8, true);
    for (const page of CORPUS_PAGES) {
      const doc = parsePage(page.name);
      assert.ok(doc.blocks.length > 0, page.name);
      assert.equal(doc.format, page.format, page.name);
    }
  });

  test('an unknown corpus page name is refused with the list of known pages', () => {
    assert.throws(() => loadCorpusPage('nope'), /No corpus page named 'nope'.*prd-checkout/);
  });

  test('block and section ids of a known page stay the same from release to release (issues created earlier link to them)', () => {
    const prd = parsePage('prd-checkout');
    // Hashed from the row's own cells ("REQ-2; Customers shall …; Must"), not from its "Header: cell" text.
    assert.equal(block(prd, 'ID: REQ-2').id, 'b-f429df2e');
    assert.equal(block(prd, 'Reduce payment-step').id, 'b-8df97197');
    assert.equal(block(prd, 'This PRD is in review').id, 'b-35c0570a');
    assert.equal(prd.sections.find((s) => s.title === 'Requirements')?.id, 's-9781a614');
    const spec = parsePage('tech-spec-export');
    assert.equal(block(spec, 'FR-001').id, 'b-451156d5');
    assert.equal(spec.blocks.find((b) => b.kind === 'code')?.id, 'b-6f85a8c0');
  });

  test('PRD: requirement table rows read "Header: cell", the header row is no block, the info panel is recorded', () => {
    const doc = parsePage('prd-checkout');
    assert.equal(doc.title, 'Checkout Revamp PRD');
    assert.equal(doc.language, 'en');
    assert.deepEqual(outline(doc), [
      '0 Checkout Revamp PRD (0)',
      '1 Checkout Revamp PRD (1)',
      '2 Background (2)',
      '2 Goals (2)',
      '2 Requirements (4)',
      '2 Non-functional requirements (2)',
      '2 Out of scope (1)',
    ]);
    assert.deepEqual(kindCounts(doc), { paragraph: 4, listItem: 2, tableRow: 6 });
    assert.deepEqual(requirementIds(doc), ['REQ-1', 'REQ-2', 'REQ-3', 'REQ-4', 'NFR-1', 'NFR-2']);
    const panel = block(doc, 'This PRD is in review');
    assert.equal(panel.text, 'This PRD is in review with Finance and Legal until 14 March. Owner: @user.');
    assert.deepEqual(panel.panel, { kind: 'info', title: 'Status of this document' });
    assert.deepEqual(panel.headingPath, ['Checkout Revamp PRD']);
    const req2 = block(doc, 'ID: REQ-2');
    assert.equal(req2.text, 'ID: REQ-2; Requirement: Customers shall be able to pay with Apple Pay and Google Pay.; Priority: Must');
    assert.deepEqual(req2.cells, [
      { header: 'ID', text: 'REQ-2' },
      { header: 'Requirement', text: 'Customers shall be able to pay with Apple Pay and Google Pay.' },
      { header: 'Priority', text: 'Must' },
      { header: 'Notes', text: '' },
    ]);
    assert.deepEqual(req2.tags, ['id', 'modal']);
    assert.deepEqual(block(doc, 'ID: REQ-4').tags, ['id']);
    assert.match(block(doc, 'ID: REQ-4').text, /Copy by @Dana Whitfield$/);
    assert.equal(block(doc, 'Area: Latency').text, 'Area: Latency; Target: NFR-1: The payment page must load in under 1.5 s at p95.');
    assert.deepEqual(block(doc, 'We will meet').tags, [], '"we will meet" is not a requirement');
    assert.deepEqual(block(doc, 'Reduce payment-step').headingPath, ['Checkout Revamp PRD', 'Goals']);
    assert.deepEqual(doc.warnings, []);
  });

  test('technical spec: FR ids, code macro with language, Jira issue macros as references', () => {
    const doc = parsePage('tech-spec-export');
    assert.equal(doc.title, 'Report Export Service – Technical Specification');
    assert.deepEqual(kindCounts(doc), { paragraph: 8, jiraIssue: 2, listItem: 4, code: 1 });
    assert.deepEqual(requirementIds(doc), ['FR-001', 'FR-002', 'FR-003', 'FR-010', 'FR-011', 'NFR-001', 'NFR-002']);
    const jira = doc.blocks.filter((b) => b.kind === 'jiraIssue');
    assert.deepEqual(jira.map((b) => [b.issueKey, b.text, b.tags.length]), [
      ['RPT-42', 'Jira issue RPT-42', 0],
      ['RPT-57', 'Jira issue RPT-57', 0],
    ]);
    assert.equal(requirementIds(doc).includes('RPT-42'), false, 'a Jira key is not a requirement id');
    const code = doc.blocks.find((b) => b.kind === 'code')!;
    assert.equal(code.language, 'json');
    assert.equal(code.text.split('\n').length, 5);
    assert.ok(code.text.startsWith('{\n  "reportId": "rep_81f2",'));
    assert.deepEqual(code.tags, []);
    assert.deepEqual(block(doc, 'FR-003').headingPath, [
      'Report Export Service – Technical Specification',
      '2. Functional requirements',
      '2.1 Formats',
    ]);
    assert.equal(block(doc, 'FR-003').text, 'FR-003: Exports larger than 1 000 000 rows must be split into files of at most 1 000 000 rows.');
    assert.equal(block(doc, 'Responses use').text, 'Responses use 202 Accepted with a job id & a Location header.');
    const formats = doc.sections.find((s) => s.title === '2.1 Formats')!;
    const functional = doc.sections.find((s) => s.title === '2. Functional requirements')!;
    assert.equal(formats.parentId, functional.id);
    assert.equal(formats.level, 3);
  });

  test('user stories: story form, Given/When/Then steps and acceptance criteria from heading and lead-in', () => {
    const doc = parsePage('user-stories-onboarding');
    assert.deepEqual(kindCounts(doc), { paragraph: 6, listItem: 7 });
    assert.equal(doc.blocks.filter((b) => b.tags.includes('userStory')).length, 3);
    assert.deepEqual(block(doc, 'Given I am a workspace admin').tags, ['gherkin', 'acceptanceCriteria']);
    assert.deepEqual(block(doc, 'Invitations to an existing member').tags, ['acceptanceCriteria']);
    for (const step of ['Given a CSV', 'When I upload it', 'Then 500 invitations', 'And invalid rows']) {
      assert.deepEqual(block(doc, step).tags, ['gherkin', 'acceptanceCriteria'], step);
    }
    assert.deepEqual(block(doc, 'Acceptance criteria:').tags, []);
    assert.deepEqual(block(doc, 'As a new colleague').tags, ['userStory']);
    assert.deepEqual(block(doc, 'Notes: the link').tags, []);
    assert.deepEqual(block(doc, 'Given I am a workspace admin').headingPath, [
      'Team Onboarding – User Stories',
      'US-1 Invite by e-mail',
      'Acceptance criteria',
    ]);
  });

  test('meeting notes: tasks with done flags, mentions and dates, no h1 gives "Untitled page"', () => {
    const doc = parsePage('meeting-notes');
    assert.equal(doc.title, 'Untitled page');
    assert.deepEqual(kindCounts(doc), { paragraph: 2, listItem: 5, task: 4 });
    const tasks = doc.blocks.filter((b) => b.kind === 'task');
    assert.deepEqual(tasks.map((t) => [t.text, t.done, t.tags]), [
      ['Renew the Apple Pay merchant certificate', true, []],
      ['@user to send the refund export proposal by 2025-03-18', false, ['openTask']],
      ['Chase Google Pay review', false, ['openTask']],
      ['Book the launch retro', true, []],
    ]);
    assert.equal(block(doc, '2025-03-11').text, '2025-03-11 · Weekly checkout sync');
    assert.deepEqual(doc.blocks.filter((b) => b.headingPath[0] === 'Attendees').map((b) => b.text), ['@user', '@Dana Whitfield', 'Priya (Finance)']);
    assert.deepEqual(block(doc, 'We will meet again').tags, []);
  });

  test('German page: language de, muss/sollen/darf nicht, Als … möchte ich, Gegeben … dann, Akzeptanzkriterien', () => {
    const doc = parsePage('lastenheft-zahlungen');
    assert.equal(doc.language, 'de');
    assert.deepEqual(kindCounts(doc), { paragraph: 3, listItem: 5 });
    assert.deepEqual(requirementIds(doc), ['REQ-10', 'REQ-11']);
    assert.deepEqual(block(doc, 'REQ-10').tags, ['id', 'modal']);
    assert.deepEqual(block(doc, 'Der Versand darf nicht').tags, ['modal']);
    assert.deepEqual(block(doc, 'Als Buchhalterin').tags, ['userStory']);
    assert.deepEqual(block(doc, 'Gegeben eine erstellte Rechnung').tags, ['gherkin', 'acceptanceCriteria']);
    assert.deepEqual(block(doc, 'Abgelehnte Rechnungen').tags, ['acceptanceCriteria']);
    assert.deepEqual(block(doc, 'Die Rechnungen werden heute').tags, []);
  });

  test('French page: language fr, doit/devront, En tant que … je veux, Étant donné … alors', () => {
    const doc = parsePage('specification-fr');
    assert.equal(doc.language, 'fr');
    assert.equal(doc.title, 'Spécification : Portail fournisseurs');
    assert.deepEqual(kindCounts(doc), { paragraph: 2, listItem: 5 });
    assert.deepEqual(requirementIds(doc), ['FR-101', 'FR-102']);
    assert.deepEqual(block(doc, 'FR-102').tags, ['id', 'modal']);
    assert.deepEqual(block(doc, 'En tant que fournisseur').tags, ['userStory']);
    assert.deepEqual(block(doc, 'Étant donné une facture').tags, ['gherkin', 'acceptanceCriteria']);
    assert.deepEqual(block(doc, 'Un tableau de bord').tags, []);
  });

  test('Spanish: "debe"/"deberá" are modal, RF-/NFR- ids, "Como …, quiero …" stories, Dado/cuando/entonces, tasks', () => {
    const doc = parsePage('requisitos-reservas');
    assert.equal(doc.language, 'es');
    assert.equal(doc.title, 'Requisitos: Reservas de salas de reuniones');
    assert.deepEqual(outline(doc), [
      '0 Requisitos: Reservas de salas de reuniones (0)',
      '1 Requisitos: Reservas de salas de reuniones (1)',
      '2 Contexto (1)',
      '2 Requisitos funcionales (5)',
      '2 Historias de usuario (1)',
      '3 Criterios de aceptación (2)',
      '2 Requisitos no funcionales (2)',
      '2 Pendientes (2)',
    ]);
    assert.deepEqual(kindCounts(doc), { paragraph: 5, tableRow: 3, listItem: 4, task: 2 });
    assert.deepEqual(requirementIds(doc), ['RF-201', 'RF-202', 'RF-203', 'NFR-20']);
    assert.deepEqual(doc.warnings, []);
    const rf202 = block(doc, 'ID: RF-202');
    assert.equal(rf202.text, 'ID: RF-202; Requisito: Los empleados deberán confirmar la reserva con su cuenta corporativa.; Prioridad: Alta');
    assert.deepEqual(rf202.tags, ['id', 'modal']);
    assert.deepEqual(block(doc, 'ID: RF-203').tags, ['id'], 'a present-tense row is a requirement by its id only');
    assert.deepEqual(block(doc, 'El calendario debe').tags, ['modal']);
    assert.deepEqual(block(doc, 'NFR-20').tags, ['id', 'modal']);
    assert.deepEqual(block(doc, 'Las salas tienen un aforo').tags, [], '"tienen" without "que" is not an obligation');
    assert.deepEqual(block(doc, 'Los datos de las reservas').tags, []);
    assert.deepEqual(block(doc, 'Como empleada').tags, ['userStory']);
    assert.deepEqual(block(doc, 'Dado que la sala').tags, ['gherkin', 'acceptanceCriteria']);
    assert.deepEqual(block(doc, 'La confirmación llega').tags, ['acceptanceCriteria']);
    const panel = block(doc, 'Borrador en revisión');
    assert.equal(panel.text, 'Borrador en revisión con Servicios Generales hasta el 28 de marzo. Responsable: @user.');
    assert.deepEqual(panel.panel, { kind: 'info', title: 'Estado del documento' });
    assert.deepEqual(panel.tags, []);
    assert.match(block(doc, 'Hoy las salas').text, /correo electrónico y con una hoja de cálculo/);
    assert.deepEqual(doc.blocks.filter((b) => b.kind === 'task').map((b) => [b.text, b.done, b.tags]), [
      ['Confirmar con Seguridad el acceso a las salas de la planta 3', false, ['openTask']],
      ['Inventario de salas y aforos', true, []],
    ]);
  });

  test('macros: layouts, panels, expand, status, emoticons, mentions, page links, images; app macros skipped with warnings', () => {
    const doc = parsePage('macros-showcase');
    assert.equal(doc.title, 'Mobile App Release 4.2');
    assert.deepEqual(kindCounts(doc), { paragraph: 8, status: 1, listItem: 2, image: 2, tableRow: 2, jiraIssue: 1 });
    const status = doc.blocks.find((b) => b.kind === 'status')!;
    assert.deepEqual(status.status, { title: 'IN PROGRESS', colour: 'Yellow' });
    assert.deepEqual(status.tags, []);
    assert.equal(block(doc, 'Release status').text, 'Release status: [IN PROGRESS]');
    assert.equal(block(doc, 'Owner:').text, 'Owner: @user 👍');
    assert.equal(block(doc, 'Follows the').text, 'Follows the Release Checklist and the design principles page. The offline mode 💡 is the headline feature.');
    assert.deepEqual(block(doc, 'The app must keep working offline').panel, { kind: 'warning' });
    assert.deepEqual(block(doc, 'Apple review').panel, { kind: 'note', title: 'Store review' });
    assert.deepEqual(block(doc, 'Changes made offline').panel, { kind: 'expand', title: 'Sync rules' });
    assert.deepEqual(block(doc, 'Changes made offline').tags, ['modal']);
    const images = doc.blocks.filter((b) => b.kind === 'image');
    assert.deepEqual(images.map((b) => [b.text, b.tags.length, b.panel?.title]), [
      ['Image: offline-sync.png (Offline sync architecture)', 0, 'Design'],
      ['Image: https://cdn.example.com/img/state-machine.svg', 0, 'Design'],
    ]);
    assert.equal(block(doc, 'Spec attachment').text, 'Spec attachment: sync-protocol-v2.pdf');
    assert.equal(block(doc, 'Target release').text, 'Target release: 4.2.0');
    assert.deepEqual(block(doc, 'Target release').panel, { kind: 'details' });
    assert.equal(doc.blocks.find((b) => b.kind === 'jiraIssue')?.issueKey, 'MOB-301');
    assert.equal(doc.blocks.some((b) => /Release Radar|guestParams|12 open bugs|Checkout flow|Type a comment/.test(b.text)), false);
    assert.deepEqual(doc.warnings.map((w) => w.code), ['skipped_extension', 'skipped_extension', 'skipped_macro']);
    assert.match(doc.warnings[0]!.message, /Forge app extension 'release-radar'/);
    assert.match(doc.warnings[1]!.message, /'forge-app-macro'/);
    assert.match(doc.warnings[2]!.message, /macro 'gliffy'/);
  });

  test('malformed markup: text recovered from unclosed and mismatched tags, with warnings', () => {
    const doc = parsePage('malformed');
    assert.equal(doc.title, 'Notifications Spec (draft)');
    assert.deepEqual(outline(doc), ['0 Notifications Spec (draft) (0)', '1 Notifications Spec (draft) (2)', '2 Rules (8)']);
    assert.deepEqual(kindCounts(doc), { paragraph: 5, listItem: 3, tableRow: 2 });
    assert.equal(block(doc, 'Notifications are').text, 'Notifications are sent by e-mail and push.');
    assert.equal(block(doc, 'FR-20').text, 'FR-20: The system must batch notifications sent within one minute into a digest.');
    assert.deepEqual(
      doc.blocks.filter((b) => b.kind === 'listItem').map((b) => b.text),
      ['Users should be able to mute a channel for 8 hours', 'Quiet hours must be respected per time zone', 'Muted channels still show a badge'],
    );
    assert.deepEqual(
      doc.blocks.filter((b) => b.kind === 'tableRow').map((b) => b.text),
      ['Event: Mention; Channel: Push', 'Event: Weekly digest; Channel: E-mail'],
    );
    assert.equal(block(doc, 'Unsubscribe links').text, 'Unsubscribe links must work without login & copy;');
    assert.deepEqual(block(doc, 'Unclosed info panel text').panel, { kind: 'info' });
    assert.deepEqual(
      doc.warnings.map((w) => w.message.match(/<([^>]+)>/)?.[1]),
      ['i', 'h1', 'em', 'ac:rich-text-body', 'ac:structured-macro'],
    );
    assert.ok(doc.warnings.every((w) => w.code === 'unclosed_tag'));
  });

  test('the generated large page is about 1 MB and every module yields the same structure', () => {
    const content = generateLargePage();
    const bytes = Buffer.byteLength(content);
    assert.ok(bytes >= LARGE_PAGE_TARGET_BYTES && bytes < LARGE_PAGE_TARGET_BYTES * 1.01, `${bytes} bytes`);
    const doc = parseSpec(content);
    const modules = doc.sections.filter((s) => s.level === 2).length;
    assert.ok(modules > 300, `${modules} modules`);
    assert.deepEqual(kindCounts(doc), {
      paragraph: modules * 2,
      tableRow: modules * 3,
      listItem: modules * 4,
      task: modules,
      code: modules,
    });
    assert.equal(new Set(doc.blocks.map((b) => b.id)).size, doc.blocks.length, 'ids are unique');
    assert.equal(requirementIds(doc).length, modules * 3);
    assert.equal(block(doc, 'ID: FR-701;').requirementId, 'FR-701');
    const story = block(doc, 'As a customer, I want to track order 7 ');
    assert.deepEqual(story.tags, ['userStory']);
    const step = block(doc, 'Given an order 7 was shipped');
    assert.equal(step.parentBlockId, story.id);
    assert.equal(step.depth, 1);
    assert.deepEqual(block(doc, 'Review module 7 with @user').tags, ['openTask']);
  });

  test('Markdown page: GFM tasks, nested list, table, fenced code, quote, raw HTML kept as text', () => {
    const doc = parsePage('release-plan');
    assert.equal(doc.format, 'markdown');
    assert.equal(doc.title, 'Search Relaunch Plan');
    assert.deepEqual(outline(doc), ['0 Search Relaunch Plan (0)', '1 Search Relaunch Plan (1)', '2 Requirements (4)', '2 Acceptance criteria (7)']);
    assert.deepEqual(kindCounts(doc), { paragraph: 2, listItem: 4, task: 2, tableRow: 2, code: 1, quote: 1 });
    assert.deepEqual(requirementIds(doc), ['FR-201', 'FR-202']);
    const nested = block(doc, 'Typo tolerance applies');
    assert.equal(nested.depth, 1);
    assert.equal(nested.parentBlockId, block(doc, 'FR-202').id);
    const tasks = doc.blocks.filter((b) => b.kind === 'task');
    assert.deepEqual(tasks.map((t) => [t.done, t.tags]), [
      [true, ['gherkin', 'acceptanceCriteria']],
      [false, ['acceptanceCriteria', 'openTask']],
    ]);
    assert.equal(tasks[1]!.text, 'Search terms with HTML like <script>alert(1)</script> are shown as text');
    assert.equal(block(doc, 'Metric: p95').text, 'Metric: p95 latency; Today: 1200 ms; Target: 300 ms');
    assert.equal(doc.blocks.find((b) => b.kind === 'code')?.language, 'ts');
    assert.equal(block(doc, '<div>').text, '<div>raw html block</div>');
    assert.equal(doc.blocks.find((b) => b.kind === 'quote')?.text, 'The old engine will be switched off after the relaunch.');
  });

  test('plain-text page: headings, lists with nesting, lead-in, tasks', () => {
    const doc = parsePage('support-notes');
    assert.equal(doc.format, 'text');
    assert.equal(doc.title, 'Support Inbox Requirements');
    assert.deepEqual(outline(doc), ['0 Support Inbox Requirements (0)', '1 Support Inbox Requirements (11)', '2 Later (1)']);
    assert.deepEqual(kindCounts(doc), { paragraph: 4, listItem: 6, task: 2 });
    assert.equal(block(doc, 'Agents lose time').text, 'Agents lose time switching between e-mail and the ticket tool. Everything should be in one inbox.');
    assert.equal(block(doc, 'Orders link').parentBlockId, block(doc, 'Agents should see').id);
    assert.deepEqual(block(doc, 'REQ-301').tags, ['id', 'modal']);
    assert.deepEqual(block(doc, 'Given a customer').tags, ['gherkin', 'acceptanceCriteria']);
    assert.deepEqual(block(doc, 'Review the shared').tags, ['acceptanceCriteria', 'openTask']);
    assert.equal(block(doc, 'Agree on priority').done, true);
    assert.deepEqual(block(doc, 'Replies are sent').tags, [], 'items of a list without an acceptance lead-in are not criteria');
    assert.deepEqual(block(doc, 'We will revisit').tags, []);
  });
});
