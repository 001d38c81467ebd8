import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../spec/index.ts';
import { checkBreakdown } from '../breakdown/checkBreakdown.ts';
import { endsMidPhrase, isTemplateCriterion, isTemplateHeading } from '../breakdown/lintStory.ts';
import { flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import { loadCorpusPage } from '../../test/corpus/index.ts';
import { draftBreakdown } from './draftBreakdown.ts';
import { splitAssignee } from './meetingNotes.ts';
import { NO_CRITERION_NOTE } from './storyDrafts.ts';

// A page in the spec-driven template: prioritised user stories with acceptance scenarios, then
// requirements, edge cases and success criteria under template headings.
const templatePage = `
<h1>Feature Specification: Branch Naming Templates</h1>
<p><strong>Status</strong>: Draft. <strong>Input</strong>: "Teams should configure branch names."</p>
<h2>Clarifications</h2>
<ul><li>Q: Should sequences be per user? → A: Per-user prefix scoping.</li></ul>
<h2>User Scenarios &amp; Testing <em>(mandatory)</em></h2>
<h3>User Story 1 - Configure Team Branch Template (Priority: P1)</h3>
<p>As a team lead setting up Spec Kit for a shared repository, I want to configure a branch naming template so that every branch follows our conventions.</p>
<p><strong>Acceptance Scenarios</strong>:</p>
<ol><li><strong>Given</strong> a settings file with a template, <strong>When</strong> a user creates a feature, <strong>Then</strong> the branch name follows the template</li></ol>
<h3>User Story 2 - Resolve Username from Git Config (Priority: P2)</h3>
<p>A developer expects the username in branch names to come from the Git configuration without typing it.</p>
<ol><li><strong>Given</strong> Git config has user.name, <strong>When</strong> a template contains {username}, <strong>Then</strong> the username is normalised</li></ol>
<h3>Edge Cases</h3>
<ul><li>What happens when the username contains characters not allowed in branch names?<ul><li>System MUST sanitize the username</li></ul></li>
<li>What happens when Git has no user name configured?</li>
<li>What happens when the template is empty? → Fall back to the default template</li></ul>
<h2>Requirements <em>(mandatory)</em></h2>
<h3>Functional Requirements</h3>
<ul>
<li><strong>FR-001</strong>: System MUST read the branch naming template from the settings file of the repository</li>
<li><strong>FR-002</strong> <strong>(Username source)</strong>: System MUST derive the username from the Git configuration user.name via a normalisation ladder over name, e-mail and the operating system account</li>
<li><strong>FR-003</strong>: System MUST report clear error messages when:<ul><li>the settings file has syntax errors</li><li>the template produces an invalid branch name</li></ul></li>
<li><strong>FR-004</strong>: Templates MUST be stored as plain text</li>
</ul>
<h2>Success Criteria <em>(mandatory)</em></h2>
<h3>Measurable Outcomes</h3>
<ul><li><strong>SC-001</strong>: Team leads configure a branch naming template in under 2 minutes</li>
<li><strong>SC-002</strong>: 100% of usernames from Git configuration resolve to valid branch names</li></ul>
`;

describe('pages in the user-story template', () => {
  const doc = parseSpec(templatePage);
  const b = draftBreakdown(doc);
  const report = checkBreakdown(doc, b);

  test('success criteria and edge cases are requirements, and all of them are traced', () => {
    assert.ok(doc.blocks.find((x) => x.requirementId === 'SC-001')?.tags.includes('successCriterion'));
    assert.ok(doc.blocks.find((x) => x.text.startsWith('What happens when Git'))?.tags.includes('edgeCase'));
    assert.deepEqual(parseBreakdown(JSON.parse(JSON.stringify(b))), b);
    assert.equal(report.coverage.ratio, 1, `uncovered: ${report.coverage.uncovered.join(', ')}`);
    assert.deepEqual(report.coverage.successCriteria, { total: 2, traced: 2 });
  });

  test('user stories are the epics, named after their headings, never after template headings', () => {
    assert.deepEqual(b.epics.map((e) => e.title), [
      'Configure Team Branch Template',
      'Resolve Username from Git Config',
      // Requirements no story names keep their section, under the page's name instead of the template's heading.
      'Branch Naming Templates: functional requirements',
    ]);
    assert.ok(b.epics.every((e) => !isTemplateHeading(e.title)));
    assert.deepEqual([b.epics[0]!.priority, b.epics[1]!.priority], ['High', 'Medium']);
    const story = b.epics[0]!.stories[0]!;
    assert.equal(story.title, 'As a team lead, I want to configure a branch naming template');
    assert.match(story.acceptanceCriteria[0]!, /^Given a settings file with a template, When a user creates a feature, Then/);
  });

  test('requirements sit under the story they serve; a success criterion is an acceptance criterion of the epic it measures', () => {
    const titles = (i: number) => b.epics[i]!.stories.map((s) => s.title);
    assert.ok(titles(0).includes('FR-001: Read the branch naming template from the settings file of the repository'), titles(0).join(' | '));
    assert.ok(titles(1).some((t) => t.startsWith('FR-002 Username source: derive the username')), titles(1).join(' | '));
    assert.ok(b.epics[0]!.acceptanceCriteria.includes('Team leads configure a branch naming template in under 2 minutes.'));
    assert.ok(b.epics[1]!.acceptanceCriteria.includes('100% of usernames from Git configuration resolve to valid branch names.'));
  });

  test('titles end at a phrase boundary and keep their labels; criteria come from the content, or a note says there is none', () => {
    const flat = flattenBreakdown(b).map((f) => f.item);
    assert.deepEqual(flat.filter((i) => endsMidPhrase(i.title)).map((i) => i.title), []);
    assert.deepEqual(flat.flatMap((i) => i.acceptanceCriteria).filter(isTemplateCriterion), []);
    assert.ok(flat.every((i) => !/:\s*:/.test(i.title)));
    const fr3 = flat.find((i) => i.title.startsWith('FR-003'))!;
    assert.equal(fr3.title, 'FR-003: Report clear error messages');
    assert.deepEqual(fr3.acceptanceCriteria, [
      'System reports clear error messages when the settings file has syntax errors.',
      'System reports clear error messages when the template produces an invalid branch name.',
    ]);
    const sanitize = flat.find((i) => i.title === 'Handle the case when the username contains characters not allowed in branch names')!;
    assert.deepEqual(sanitize.acceptanceCriteria, ['When the username contains characters not allowed in branch names, system sanitizes the username.']);
    const open = flat.find((i) => i.title === 'Handle the case when Git has no user name configured')!;
    assert.deepEqual(open.acceptanceCriteria, []);
    assert.match(open.notes, /without an answer; decide the expected behaviour/);
    const inline = flat.find((i) => i.title === 'Handle the case when the template is empty')!;
    assert.deepEqual(inline.acceptanceCriteria, ['When the template is empty, fall back to the default template.']);
    const fr4 = flat.find((i) => i.title.startsWith('FR-004'))!;
    assert.deepEqual(fr4.acceptanceCriteria, ['Templates are stored as plain text.']);
    assert.notEqual(NO_CRITERION_NOTE, '');
  });

  test('the report has no template-heading, cut-title or boilerplate findings', () => {
    const codes = report.findings.map((f) => f.code);
    for (const c of ['epic-template-heading', 'title-cut-mid-phrase', 'template-criterion', 'duplicated-punctuation', 'untraced-success-criterion']) {
      assert.ok(!codes.includes(c), `${c}: ${report.findings.filter((f) => f.code === c).map((f) => f.message).join(' ')}`);
    }
  });
});

describe('meeting notes', () => {
  test('open action items become sub-tasks of one follow-up story, with their assignee; notes are context, not stories', () => {
    const { content } = loadCorpusPage('meeting-notes');
    const named = content.replace('<ac:link><ri:user ri:account-id="70121:aa3f" /></ac:link> to send', '<ac:link><ri:user ri:account-id="70121:aa3f" /><ac:plain-text-link-body><![CDATA[Dana Whitfield]]></ac:plain-text-link-body></ac:link> to send');
    const doc = parseSpec(named);
    const b = draftBreakdown(doc);
    assert.equal(b.epics.length, 1);
    assert.equal(b.epics[0]!.title, '2025-03-11 · Weekly checkout sync');
    assert.equal(b.epics[0]!.stories.length, 1);
    const s = b.epics[0]!.stories[0]!;
    assert.deepEqual(s.subtasks.map((t) => [t.title, t.notes, t.labels]), [
      ['Send the refund export proposal by 2025-03-18', 'Assignee on the page: Dana Whitfield.', ['spec2tickets', 'action-item']],
      ['Chase Google Pay review', 'No assignee on the page.', ['spec2tickets', 'action-item']],
    ]);
    assert.ok(!JSON.stringify(b).includes('Book the launch retro'), 'done action items are not work');
    const discussion = doc.blocks.find((x) => x.text.startsWith('Finance asked whether refunds should'))!;
    assert.ok(b.epics[0]!.sources.includes(discussion.id), 'a discussion line is cited by the epic, not made a story');
    assert.equal(checkBreakdown(doc, b).coverage.ratio, 1);
  });

  test('assignees are read from a leading or trailing mention', () => {
    assert.deepEqual(splitAssignee('@Dana Whitfield to send the proposal'), { assignee: 'Dana Whitfield', unresolved: false, action: 'Send the proposal' });
    assert.deepEqual(splitAssignee('Chase the review (@Priya Raman)'), { assignee: 'Priya Raman', unresolved: false, action: 'Chase the review' });
    assert.deepEqual(splitAssignee('@user: book the room'), { assignee: 'user', unresolved: true, action: 'Book the room' });
    assert.deepEqual(splitAssignee('Chase Google Pay review'), { unresolved: false, action: 'Chase Google Pay review' });
  });
});
