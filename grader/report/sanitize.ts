/**
 * Making messages safe to print (internal to grader/report).
 *
 * A failure message can carry text the student's code chose (an exception's message), so before it
 * reaches a terminal or a GitHub Actions log it must not be able to move the cursor, recolour or
 * erase lines (`\x1b[…`, `\r`), reorder text (bidi overrides), or start a line with `::`, which the
 * Actions runner reads as a workflow command (a fake `::notice …::Points 100/100`).
 */

// C0 controls except \t and \n, DEL, C1 controls, bidi embeddings/overrides/isolates, lone surrogates.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Replaces unsafe characters with a visible escape such as `\u001b`. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Prefixes every line that would start a workflow command (`::` after blanks) so the runner ignores it. */
export function neutralizeWorkflowCommands(text: string): string {
  return text.replace(/^([^\S\n]*)::/gm, '$1» ::').replace(/##\[/g, '## [');
}

/** Shortens text to at most `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // never split a surrogate pair
  return `${text.slice(0, end)}…`;
}

/** A message ready for a terminal or an Actions log. */
export function safeMessage(text: string, max = Infinity): string {
  return truncate(neutralizeWorkflowCommands(escapeControls(text)), max);
}
