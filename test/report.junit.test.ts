import { describe, expect, it } from 'vitest';
import { escapeXmlAttr, escapeXmlText, renderJunit } from '../grader/report/junit.ts';
import { everyStatusReport, HOSTILE_MESSAGE, makeReport, makeTest, mixedCourseReport } from './report.fixtures.ts';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  const bare = /&(?!(?:amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);)/.exec(raw);
  if (bare) throw new Error(`bad entity at '${raw.slice(bare.index, bare.index + 8)}' in ${where}`);
  return raw.replace(/&([^;]*);/g, (_, ref: string) => {
    if (ref in ENTITIES) return ENTITIES[ref]!;
    const m = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ref);
    if (!m) throw new Error(`bad entity &${ref}; in ${where}`);
    const code = m[1]!.startsWith('x') ? Number.parseInt(m[1]!.slice(1), 16) : Number(m[1]);
    if (!(code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000)) {
      throw new Error(`character reference &${ref}; is not allowed in XML 1.0`);
    }
    return String.fromCodePoint(code);
  });
}

/**
 * A small XML 1.0 well-formedness check (enough for this report; no dependency): one root,
 * properly nested and closed tags, quoted unique attributes, no raw `<` or `&` in text or
 * attributes, known entities only, no characters XML 1.0 forbids. Returns the element tree.
 */
function parseXml(xml: string): XmlElement {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(xml)) throw new Error('forbidden character');
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(xml)) throw new Error('lone surrogate');
  let rest = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  if (rest === xml) throw new Error('missing XML declaration');
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    const text = lt === -1 ? rest : rest.slice(0, lt);
    if (text.includes('>') && /\]\]>/.test(text)) throw new Error(']]> in text');
    stack.at(-1)!.text += decode(text, 'text');
    if (lt === -1) break;
    rest = rest.slice(lt);
    const close = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(rest);
    if (close) {
      const open = stack.pop()!;
      if (open.name !== close[1]) throw new Error(`</${close[1]}> closes <${open.name}>`);
      rest = rest.slice(close[0].length);
      continue;
    }
    const tag = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>/.exec(rest);
    if (!tag) throw new Error(`malformed tag at: ${rest.slice(0, 60)}`);
    const attrs: Record<string, string> = {};
    for (const a of tag[2]!.matchAll(/([A-Za-z_][\w.-]*)="([^"<]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      attrs[a[1]!] = decode(a[2]!, `attribute ${a[1]}`);
    }
    const el: XmlElement = { name: tag[1]!, attrs, children: [], text: '' };
    stack.at(-1)!.children.push(el);
    if (!tag[3]) stack.push(el);
    rest = rest.slice(tag[0].length);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (root.children.length !== 1 || root.text.trim()) throw new Error('not exactly one root element');
  return root.children[0]!;
}

const byName = (el: XmlElement, name: string) => el.children.filter((c) => c.name === name);
const props = (el: XmlElement) =>
  Object.fromEntries(byName(byName(el, 'properties')[0]!, 'property').map((p) => [p.attrs.name, p.attrs.value]));

describe('the XML checker itself', () => {
  it('rejects what is not well-formed', () => {
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
    expect(() => parseXml(`${head}<a><b></a></b>`)).toThrow(/closes/);
    expect(() => parseXml(`${head}<a x="1 & 2"/>`)).toThrow(/bad entity/);
    expect(() => parseXml(`${head}<a>1 < 2</a>`)).toThrow(/malformed tag/);
    expect(() => parseXml(`${head}<a>\u0001</a>`)).toThrow(/forbidden/);
    expect(() => parseXml(`${head}<a>&#1;</a>`)).toThrow(/not allowed/);
    expect(() => parseXml(`${head}<a/><b/>`)).toThrow(/one root/);
    expect(() => parseXml(`${head}<a x='1'/>`)).toThrow(/malformed tag/);
    expect(parseXml(`${head}<a x="&lt;&#10;"><b>t &amp; u</b></a>`)).toEqual({
      name: 'a',
      attrs: { x: '<\n' },
      children: [{ name: 'b', attrs: {}, children: [], text: 't & u' }],
      text: '',
    });
  });
});

describe('junit report', () => {
  it('is well-formed XML: testsuites → a testsuite per exercise → a testcase per test', () => {
    const report = mixedCourseReport();
    const root = parseXml(renderJunit(report));
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toEqual({ name: 'gradlab', tests: '58', failures: '8', errors: '0', time: '1.234' });
    const suites = byName(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(report.exercises.map((e) => e.slug));
    expect(suites.map((s) => s.attrs.tests)).toEqual(['10', '10', '6', '8', '4', '8', '12']);
    expect(suites.map((s) => s.attrs.failures)).toEqual(['0', '3', '0', '1', '0', '2', '2']);
    expect(suites[1]!.attrs.time).toBe('0.155');
    expect(props(suites[1]!)).toEqual({ score: '14', maxScore: '20', status: 'failed' });
    const cases = byName(suites[1]!, 'testcase');
    expect(cases[0]!.attrs).toEqual({ classname: '02-backprop', name: '02-backprop › check 1 holds', time: '0.011' });
    expect(props(cases[1]!)).toEqual({ id: 'backprop.check.t2', score: '0', maxScore: '2', status: 'failed', visibility: 'visible' });
    expect(byName(cases[1]!, 'failure')[0]!.attrs).toEqual({
      message: 'expected 0.25 at x = 0, got 0.5 (relative error 1) [test 2]',
      type: 'failed',
    });
    expect(byName(cases[0]!, 'failure')).toEqual([]);
  });

  it('reports error and timeout as <error>, failed, not-implemented and missing as <failure>', () => {
    const root = parseXml(renderJunit(everyStatusReport()));
    expect(root.attrs).toMatchObject({ tests: '8', failures: '5', errors: '2', time: '0.988' });
    const suite = byName(root, 'testsuite')[0]!;
    expect(suite.attrs).toMatchObject({ tests: '8', failures: '5', errors: '2' });
    const kinds = byName(suite, 'testcase').map((c) => c.children.filter((x) => x.name !== 'properties').map((x) => `${x.name}:${x.attrs.type}`));
    expect(kinds).toEqual([
      [],
      ['failure:failed'],
      ['error:error'],
      ['error:timeout'],
      ['failure:not-implemented'],
      ['failure:missing'],
      ['failure:failed'],
      ['failure:failed'],
    ]);
  });

  it('escapes markup, quotes and control characters in messages, and keeps the text readable', () => {
    const xml = renderJunit(everyStatusReport());
    const testcase = byName(byName(parseXml(xml), 'testsuite')[0]!, 'testcase')[2]!;
    const error = byName(testcase, 'error')[0]!;
    const visible = (s: string) => s.replace('\u0001', '\\u0001').replace('\u001b', '\\u001b').replace('\ud800', '\\ud800');
    expect(error.attrs.message).toBe(visible(HOSTILE_MESSAGE.split('\n')[0]!));
    expect(error.text).toBe(visible(HOSTILE_MESSAGE));
    expect(xml).toContain('message="bad &lt;tag&gt; &amp; &quot;quotes&quot; &apos;apos&apos;\\u0001\\u001b[2J&#13;Score: 100/100"');
    const diag = byName(byName(byName(parseXml(xml), 'testsuite')[0]!, 'testcase')[1]!, 'failure')[0]!;
    expect(diag.text).toBe(
      'dW is wrong at [0, 1]: expected 0.5, got -0.5 (relative error 2)\n\n' +
        'Known mistake dw-not-transposed: Which of x and dout needs a transpose for dW to have W’s shape?',
    );
  });

  it('escapes names and slugs too, and survives every forbidden character', () => {
    const slug = '01-activations';
    const nasty = `<&>"'\t\n\r${Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')}\ufffe\uffff\udc00😀`;
    const report = makeReport([{ slug, tests: [makeTest(slug, 1, { status: 'failed', name: nasty, message: nasty })] }]);
    const root = parseXml(renderJunit(report));
    const testcase = byName(byName(root, 'testsuite')[0]!, 'testcase')[0]!;
    expect(testcase.attrs.name).toBe(`${slug} › ${nasty.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff\udc00]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`);
    expect(testcase.attrs.name).toContain('😀');
    expect(escapeXmlAttr('a\tb\nc\rd')).toBe('a&#9;b&#10;c&#13;d');
    expect(escapeXmlText('a ]]> b')).toBe('a ]]&gt; b');
  });

  it('handles a report without tests', () => {
    const root = parseXml(renderJunit(makeReport([{ slug: '05-residual', tests: [], maxScore: 10, status: 'missing' }])));
    expect(root.attrs).toMatchObject({ tests: '0', failures: '0', errors: '0' });
    expect(byName(root, 'testsuite')[0]!.attrs).toMatchObject({ name: '05-residual', tests: '0', time: '0.000' });
  });
});
