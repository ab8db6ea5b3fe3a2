import { createRequire } from 'node:module';
import type MarkdownIt from 'markdown-it';
import type { RendererRule, StateCore } from 'markdown-it';

/** Schemes a link may use; anything else (javascript:, data:, vbscript:, relative) stays plain text. */
const SAFE_LINK = /^(?:https?:|mailto:)/i;

/** Markdown headings start this many levels down: the page owns h1 and h2, a postmortem's `#` is an h3. */
const HEADING_SHIFT = 2;

const LINK_REL = 'nofollow noopener noreferrer';

function shiftHeadings(state: StateCore): void {
  for (const token of state.tokens) {
    if (token.type !== 'heading_open' && token.type !== 'heading_close') continue;
    token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + HEADING_SHIFT)}`;
  }
}

/** Every link leaves the page without a referrer or an opener, and without lending it rank. */
function linkOpen(md: MarkdownIt): RendererRule {
  return (tokens, idx, options) => {
    tokens[idx]?.attrSet('rel', LINK_REL);
    return md.renderer.renderToken(tokens, idx, options);
  };
}

/**
 * An image becomes a link to it labelled with its alt text: the page's CSP forbids remote images,
 * and an <img> is one more tag to get wrong. Its src passed validateLink like any link's href.
 */
function imageAsLink(md: MarkdownIt): RendererRule {
  const { escapeHtml } = md.utils;
  return (tokens, idx, options, env) => {
    const token = tokens[idx];
    const src = token?.attrGet('src') ?? '';
    const alt = md.renderer.renderInlineAsText(token?.children ?? [], options, env) || src;
    return `<a href="${escapeHtml(src)}" rel="${LINK_REL}">${escapeHtml(alt)}</a>`;
  };
}

function createRenderer(): MarkdownIt {
  // Its single-file CommonJS build: fewer modules than the ESM tree, loaded with the first postmortem.
  const MarkdownIt = createRequire(import.meta.url)('markdown-it') as typeof import('markdown-it').default;
  // html: false escapes raw HTML instead of passing it through; no linkify or typographer surprises.
  const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
  // markdown-it calls this with the href already entity-decoded and normalised, for links,
  // autolinks, reference definitions and images alike.
  md.validateLink = (url) => SAFE_LINK.test(url);
  md.core.ruler.push('shift_headings', shiftHeadings);
  md.renderer.rules.link_open = linkOpen(md);
  md.renderer.rules.image = imageAsLink(md);
  return md;
}

let renderer: MarkdownIt | undefined;

/** Renders an operator's Markdown (a postmortem) to HTML that is safe to put in the public page. */
export function renderMarkdown(markdown: string): string {
  renderer ??= createRenderer();
  return renderer.render(markdown);
}
