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
 */
export function csv(rows: Array<Array<string | number>>): string {
  return stringify(rows, { escape_formulas: true, record_delimiter: 'unix', quote_record_delimiter: true });
}
