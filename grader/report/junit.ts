/**
 * The JUnit XML report: <testsuites> → one <testsuite> per exercise → one <testcase> per test.
 *
 * - failed, not-implemented, missing → <failure>: the submission's answer is wrong or absent, an
 *   ordinary verdict (the stubs grade as all failures, no errors).
 * - error, timeout → <error>: the student's code threw or hung, so the test could not reach a
 *   verdict; a dashboard's "errors" column then means "something crashed".
 * - Points go in <properties> (suite: score, maxScore; case: id, score, maxScore, visibility,
 *   status), not in names, so a test's name stays the same from run to run.
 * - Text is escaped for XML 1.0: & < > " ' as entities, tabs and newlines in attributes as character
 *   references, and characters XML 1.0 forbids (other control characters, lone surrogates, U+FFFE,
 *   U+FFFF) written as visible `\uXXXX`.
 */
import type { GradeReport, TestStatus } from '../results.js';
import { roundReport } from './round.js';

const ERROR_STATUSES: ReadonlySet<TestStatus> = new Set(['error', 'timeout']);

// Not allowed anywhere in an XML 1.0 document, even as a character reference.
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function visible(text: string): string {
  return text.replace(XML_FORBIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text content: forbidden characters made visible, markup characters as entities, \r kept as a reference. */
export function escapeXmlText(text: string): string {
  return visible(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** An attribute value (for double quotes): as text, plus quotes and whitespace that parsers would normalize. */
export function escapeXmlAttr(text: string): string {
  return escapeXmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function properties(indent: string, props: Record<string, string | number>): string {
  const lines = Object.entries(props).map(
    ([name, value]) => `${indent}  <property name="${escapeXmlAttr(name)}" value="${escapeXmlAttr(String(value))}"/>`,
  );
  return `${indent}<properties>\n${lines.join('\n')}\n${indent}</properties>`;
}

/** `--format junit`: the XML document, with a final newline. */
export function renderJunit(report: GradeReport): string {
  const rounded = roundReport(report);
  const count = (pred: (s: TestStatus) => boolean) => report.tests.filter((t) => pred(t.status)).length;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gradlab" tests="${report.tests.length}" ` +
      `failures="${count((s) => s !== 'passed' && !ERROR_STATUSES.has(s))}" ` +
      `errors="${count((s) => ERROR_STATUSES.has(s))}" time="${seconds(report.durationMs)}">`,
  ];
  for (const ex of rounded.exercises) {
    const slug = escapeXmlAttr(ex.exercise.slug);
    const statuses = ex.tests.map((t) => t.test.status);
    const errors = statuses.filter((s) => ERROR_STATUSES.has(s)).length;
    const failures = statuses.filter((s) => s !== 'passed').length - errors;
    const time = ex.tests.reduce((a, t) => a + t.test.durationMs, 0);
    out.push(
      `  <testsuite name="${slug}" tests="${ex.tests.length}" failures="${failures}" errors="${errors}" time="${seconds(time)}">`,
      properties('    ', { score: ex.score, maxScore: ex.maxScore, status: ex.exercise.status, ...(report.confinement ? { sandbox: report.confinement.missing.length ? `missing ${report.confinement.missing.join(', ')}` : 'every required protection in force' } : {}) }),
    );
    for (const { test, score, maxScore } of ex.tests) {
      const open = `    <testcase classname="${slug}" name="${escapeXmlAttr(test.name)}" time="${seconds(test.durationMs)}">`;
      const props = properties('      ', { id: test.id, score, maxScore, status: test.status, visibility: test.visibility });
      const lines = [open, props];
      if (test.status !== 'passed') {
        const tag = ERROR_STATUSES.has(test.status) ? 'error' : 'failure';
        const body = test.diagnosis
          ? `${test.message}\n\nKnown mistake ${test.diagnosis.id}: ${test.diagnosis.hint}`
          : test.message;
        const firstLine = test.message.split('\n')[0] ?? '';
        lines.push(
          `      <${tag} message="${escapeXmlAttr(firstLine || test.status)}" type="${test.status}">${escapeXmlText(body)}</${tag}>`,
        );
      }
      lines.push('    </testcase>');
      out.push(...lines);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
