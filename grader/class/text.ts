/**
 * Student names are folder names, chosen by students: before one reaches a terminal, an Actions
 * log or a spreadsheet it is made inert.
 */
import { stringify } from 'csv-stringify/sync';
import { safeMessage } from '../report/sanitize.js';

/**
 * A name for the terminal: control characters (ANSI escapes, newlines that would forge rows, tabs),
 * bidi overrides and lone surrogates shown as `\uXXXX`, and a leading `::` (an Actions workflow
 * command) defused.
 */
export function terminalName(name: string): string {
  return safeMessage(name).replace(/[\n\t]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * CSV text, RFC 4180 quoting, with OWASP's CSV-injection rule applied to every text cell: a cell
 * that starts with `=`, `+`, `-`, `@`, tab or carriage return (or their full-width forms) gets a
 * leading `'`, so a spreadsheet shows it as text instead of running it as a formula. Numbers are
 * left alone. A cell holding a line break or a carriage return is quoted.
 *
 * A spreadsheet whose locale separates by `;` (Excel in de, fr, nl, it, es, …), or an import that
 * splits at tabs, cuts a cell at those, and the part after starts a cell of its own that no leading
 * `'` guards: a student's error message `x;=cmd|' /C calc'!A0` (the first line of what their code
 * threw, in the gradebook's problems) made a live formula there. So a cell holding `;` or a tab is
 * quoted (a parser that honours quotes keeps it whole, as it does for `,` and line breaks), and for
 * one that does not, the rule is applied after every separator any of them splits at (`,`, `;`,
 * tab, line break), past spaces and double quotes.
 */
export function csv(rows: Array<Array<string | number>>): string {
  const guarded = rows.map((row) => row.map((cell) => (typeof cell === 'string' ? cell.replace(AFTER_SEPARATOR, "$1'") : cell)));
  return stringify(guarded, { escape_formulas: true, record_delimiter: 'unix', quote_record_delimiter: true, quoted_match: /[;\t]/ });
}

/** A separator, then spaces and double quotes, before a character that starts a formula (csv-stringify's list). */
const AFTER_SEPARATOR = /([,;\t\r\n][\s"]*)(?=[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20])/g;
