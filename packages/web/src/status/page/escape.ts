/**
 * HTML is built only through `html`: every interpolated value is escaped unless it is already
 * `SafeHtml` (another `html` result), so a name or message typed by anyone can never open markup.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one escape function of the status page: text and attribute values alike (always quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** Markup that was built by `html` or is trusted by construction (our CSS, our script, sanitised Markdown). */
export class SafeHtml {
  constructor(readonly value: string) {}
}

/** What may be interpolated: text is escaped, arrays are joined, booleans and nullish render nothing (`cond && html`). */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false || value === true) return '';
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${name}</p>\`` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Marks markup we wrote ourselves (or sanitised) as safe: never pass it anything user-provided. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
