import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.js';

/** Inputs that try to run script, load remote content or smuggle a scheme past the link check. */
// biome-ignore format: one hostile input per entry reads better packed
const XSS_CORPUS = [
  '<script>alert(1)</script>', 'x <script src="https://evil.example/x.js"></script>', '[x](javascript:alert(1))',
  '[x](JAVASCRIPT:alert(1))', '[x]( javascript:alert(1) )', '[x](<javascript:alert(1)>)', '[x](java\tscript:alert(1))',
  '[x](data:text/html;base64,PHNjcmlwdD4=)', '[x](vbscript:msgbox)', '[x](file:///etc/passwd)', '[x](//evil.example/)',
  '![x](http://evil/x.png" onerror="alert(1))', '![x](javascript:alert(1))', '![x" onerror="alert(1)](https://e.example/a.png)',
  '<img src=x onerror=alert(1)>', '<a href="javascript:alert(1)">x</a>', '[x](&#106;avascript:alert(1))',
  '[x](&#x6A;avascript&colon;alert(1))', '[x](javascript&#58;alert(1))', '&lt;script&gt;alert(1)&lt;/script&gt;',
  '&#60;script&#62;alert(1)&#60;/script&#62;', '***<b>x</b>***', '*a **b _c <i onmouseover=alert(1)>d</i>_ b** a*',
  '<iframe src="https://evil.example/"></iframe>', '<svg onload=alert(1)>', '<javascript:alert(1)>', '<JaVaScRiPt:alert(1)>',
  '<data:text/html,<script>alert(1)</script>>', '[ref]\n\n[ref]: javascript:alert(1)', '[x](https://ok.example/ "a\\" onclick=\\"alert(1)")',
  '```html\n<script>alert(1)</script>\n```', '`<img src=x onerror=alert(1)>`', '<style>body{display:none}</style>',
  '<!-- <script>alert(1)</script> -->', '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
  '[x](https://ok.example/"><script>alert(1)</script>)', '<details open ontoggle=alert(1)>',
];

// biome-ignore format: a packed list
const ALLOWED_TAGS = new Set([
  'p', 'a', 'h3', 'h4', 'h5', 'h6', 'em', 'strong', 's', 'code', 'pre', 'ul', 'ol', 'li', 'blockquote', 'hr', 'br',
  'table', 'thead', 'tbody', 'tr', 'th', 'td',
]);
const ALLOWED_ATTRIBUTES = new Set(['href', 'rel', 'title', 'class', 'style', 'start']);

interface Tag {
  name: string;
  closing: boolean;
  attributes: Record<string, string>;
}

/**
 * The tags of rendered HTML. With raw HTML escaped, every `<` left in the output opens a tag the
 * renderer wrote, so a scan is enough to see everything a browser would treat as markup.
 */
function tagsOf(html: string): Tag[] {
  return [...html.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*)>/g)].map(([, slash, name = '', rest = '']) => ({
    name: name.toLowerCase(),
    closing: slash === '/',
    attributes: Object.fromEntries(
      [...rest.matchAll(/([^\s=/]+)(?:="([^"]*)")?/g)].map(([, key = '', value = '']) => [key.toLowerCase(), value]),
    ),
  }));
}

/** Why rendered HTML is unsafe, or [] when it is not. */
function unsafe(html: string): string[] {
  const problems: string[] = [];
  if (/<(?!\/?[a-zA-Z])/.test(html)) problems.push('a bare < that is not a tag');
  for (const tag of tagsOf(html)) {
    if (!ALLOWED_TAGS.has(tag.name)) problems.push(`<${tag.name}>`);
    for (const [name, value] of Object.entries(tag.attributes)) {
      if (!ALLOWED_ATTRIBUTES.has(name)) problems.push(`${name}= on <${tag.name}>`);
      if (name === 'href' && !/^(?:https?:|mailto:)/i.test(value)) problems.push(`href="${value}"`);
    }
    if (tag.name === 'a' && !tag.closing && tag.attributes.rel !== 'nofollow noopener noreferrer')
      problems.push('a link without rel');
  }
  return problems;
}

describe('renderMarkdown', () => {
  it.each(XSS_CORPUS)('renders %j without script, unsafe links, handlers or embedded content', (input) => {
    const html = renderMarkdown(input);
    expect(unsafe(html), html).toEqual([]);
    expect(html).not.toMatch(/<script|<img|<iframe|<svg|<style|<math|<details/i);
    expect(html).not.toMatch(/href="\s*(?:javascript|data|vbscript|file):/i);
    // Quoted attribute values are escaped text (a title may say `onclick=`); handlers hide outside them.
    expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*\son\w+\s*=/i);
  });

  it('shows raw HTML as the text it is', () => {
    expect(renderMarkdown('<b>bold</b> & <i>x</i>')).toBe(
      '<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;x&lt;/i&gt;</p>\n',
    );
    expect(renderMarkdown('[x](javascript:alert(1))')).toBe('<p>[x](javascript:alert(1))</p>\n');
  });

  it('renders an image as a link to it, labelled with its alt text', () => {
    expect(renderMarkdown('![the graph](https://grafana.example/d/1.png)')).toBe(
      '<p><a href="https://grafana.example/d/1.png" rel="nofollow noopener noreferrer">the graph</a></p>\n',
    );
  });

  it('renders a postmortem: headings two levels down, lists, code, links, emphasis and tables', () => {
    const html = renderMarkdown(
      [
        '# Summary',
        '## Timeline',
        '#### Detail',
        '###### Deepest',
        '',
        'The **database** was *unreachable* for ~~hours~~ 2h50m, see [the log](https://example.com/log "log").',
        'Mail [ops](mailto:ops@example.com); typographer off: "quotes" -- (c).',
        '',
        '1. detected',
        '2. escalated',
        '',
        '- one',
        '- two',
        '',
        '```sh',
        'systemctl restart db && echo "<ok>"',
        '```',
        '',
        '| IP | down |',
        '|:---|---:|',
        '| 5.104.101.30 | 4h04 |',
      ].join('\n'),
    );
    expect(unsafe(html)).toEqual([]);
    expect(html).toContain('<h3>Summary</h3>');
    expect(html).toContain('<h4>Timeline</h4>');
    expect(html).toContain('<h6>Detail</h6>');
    expect(html).toContain('<h6>Deepest</h6>');
    expect(html).not.toMatch(/<h[12]>/);
    expect(html).toContain('<strong>database</strong> was <em>unreachable</em> for <s>hours</s> 2h50m');
    expect(html).toContain(
      '<a href="https://example.com/log" title="log" rel="nofollow noopener noreferrer">the log</a>',
    );
    expect(html).toContain('<a href="mailto:ops@example.com" rel="nofollow noopener noreferrer">ops</a>');
    expect(html).toContain('&quot;quotes&quot; -- (c)');
    expect(html).toContain('<ol>\n<li>detected</li>');
    expect(html).toContain('<ul>\n<li>one</li>');
    expect(html).toContain(
      '<pre><code class="language-sh">systemctl restart db &amp;&amp; echo &quot;&lt;ok&gt;&quot;',
    );
    expect(html).toContain('<th style="text-align:left">IP</th>');
    expect(html).toContain('<td style="text-align:right">4h04</td>');
  });
});
