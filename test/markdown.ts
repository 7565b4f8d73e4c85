/**
 * Markdown as GitHub would render it, for tests of what gradlab posts there: micromark with its GFM
 * extension (the CommonMark and GitHub Flavored Markdown specs, bare URLs autolinked), raw HTML let
 * through as GitHub's parser does before its sanitiser.
 */
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';

export const renderMarkdown = (markdown: string) => micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

export const decodeHtml = (html: string) => html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** The text of every code element (block or inline), decoded. */
export const codeTexts = (html: string) => [...html.matchAll(/<code(?: class="language-text")?>([\s\S]*?)<\/code>/g)].map((m) => decodeHtml(m[1]).replace(/\n$/, ''));

/** The HTML with every code element removed: what renders as something other than text. */
export const outsideCode = (html: string) => html.replace(/<pre><code[^>]*>[\s\S]*?<\/code><\/pre>/g, '').replace(/<code>[\s\S]*?<\/code>/g, '');
