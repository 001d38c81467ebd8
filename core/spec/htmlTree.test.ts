// The linear tree builder reports exactly the events htmlparser2's own Parser reports (same tree
// rules for omitted end tags, void elements, stray end tags, SVG/MathML casing), on hand-written
// edge cases and on every corpus page.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Parser } from 'htmlparser2';
import { parseHtmlTree } from './htmlTree.ts';
import { CORPUS_PAGES, generateLargePage, loadCorpusPage } from '../../test/corpus/index.ts';

type Event = ['open', string, Record<string, string>] | ['close', string, boolean] | ['text', string];

function merged(events: Event[]): Event[] {
  // Adjacent text events are one text (the two readers may cut text at different places).
  const out: Event[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e[0] === 'text' && last?.[0] === 'text') last[1] += e[1];
    else out.push(e[0] === 'open' ? ['open', e[1], { ...e[2] }] : e);
  }
  return out;
}

function reference(source: string): Event[] {
  const events: Event[] = [];
  const parser = new Parser(
    {
      onopentag: (name, attrs) => events.push(['open', name, attrs]),
      onclosetag: (name, implied) => events.push(['close', name, implied]),
      ontext: (text) => events.push(['text', text]),
    },
    { recognizeSelfClosing: true, recognizeCDATA: true, decodeEntities: true },
  );
  parser.write(source);
  parser.end();
  return merged(events);
}

function linear(source: string): Event[] {
  const events: Event[] = [];
  parseHtmlTree(source, {
    onopentag: (name, attrs) => events.push(['open', name, attrs]),
    onclosetag: (name, implied) => events.push(['close', name, implied]),
    ontext: (text) => events.push(['text', text]),
  });
  return merged(events);
}

const EDGE_CASES = [
  '<p>one<p>two<div>three</div></p></p>',
  '<ul><li>a<li>b<ul><li>c</ul></li></ul>',
  '<table><thead><tr><th>A<th>B<tbody><tr><td>1<td>2</table>',
  '<dl><dt>term<dd>def<dt>term2</dl>',
  '<h1>Title<h2>Sub</h2><p>text</h1>',
  '<a href="x"><a href="y">nested</a></a>',
  'text</p>more</br>end</span></div>',
  '<br/><img src="a.png"/><hr><p/>x<p />',
  '<form><form action="b">inner</form></form>',
  '<select><option>a<option>b<optgroup><option>c</select>',
  '<svg><foreignobject><p>html</p></foreignobject><lineargradient/></svg><image src="i.png">',
  '<math><mi>x</mi><mtext><b>t</b></mtext></math>',
  '<P CLASS="Big" Data-X=1 data-x=2>Upper &amp; &lt;entities&gt; &nbsp;&copy;</P>',
  '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">ts</ac:parameter><ac:plain-text-body><![CDATA[if (a < b) {}]]></ac:plain-text-body></ac:structured-macro>',
  '<ac:link><ri:user ri:account-id="1" /></ac:link><ac:emoticon ac:name="smile" />',
  '<!-- comment --><!DOCTYPE html><?xml version="1.0"?><p>after</p>',
  '<script>if (a < b) { "</p>" }</script><style>p { }</style><title>T</title><textarea><b></textarea>',
  '<td>cell<tr>row<td>x</td>',
  '<div><span><div><span>unclosed',
];

describe('linear HTML tree builder', () => {
  for (const source of EDGE_CASES) {
    test(`same events as htmlparser2's Parser: ${source.slice(0, 60)}`, () => {
      assert.deepEqual(linear(source), reference(source));
    });
  }

  test('attribute names like __proto__ are plain data, never an object prototype', () => {
    const seen: Record<string, string>[] = [];
    parseHtmlTree('<p __proto__="x" constructor="y" class="c">proto</p>', {
      onopentag: (_name, attrs) => seen.push(attrs),
      onclosetag: () => {},
      ontext: () => {},
    });
    const attrs = seen[0]!;
    assert.equal(Object.getPrototypeOf(attrs), null);
    assert.equal(attrs['__proto__'], 'x');
    assert.equal(attrs['constructor'], 'y');
    assert.equal(attrs['class'], 'c');
  });

  test('same events as htmlparser2 on every corpus page and the generated large page', () => {
    for (const page of CORPUS_PAGES) {
      const { content } = loadCorpusPage(page.name);
      assert.deepEqual(linear(content), reference(content), page.name);
    }
    const large = generateLargePage(256 * 1024);
    assert.deepEqual(linear(large), reference(large));
  });
});
