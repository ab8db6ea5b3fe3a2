import { type ApiToken, formatDuration, TOKEN_SCOPES } from '@vigil/core';
import { html, type SafeHtml } from '../../status/page/escape.js';

const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** A last use is noted once a minute at most: shown to the minute. */
const minute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;

/** A token as the console lists it: the API's view of the record, never the secret or its hash. */
export type TokenRow = ApiToken & { checksUsed: number; lastUsedAt: number | null };

/** What the create form holds: the fields as typed, so a refused form comes back as it was sent. */
export type TokenForm = Partial<
  Record<'name' | 'owner' | 'scope' | 'quota.checks' | 'quota.minInterval' | 'quota.vantages', string>
>;

const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;

function tokenRow(token: TokenRow, csrf: string): SafeHtml {
  const quota = `${token.checksUsed} of ${token.quota.checks} checks, every ${formatDuration(token.quota.minIntervalMs)} or slower, ${token.quota.vantages} vantages`;
  return html`<tr id="token-${token.id}"><th scope="row">${token.id}</th><td>${token.name}</td><td>${token.owner}</td><td>${token.scope}</td>
<td>${quota}</td><td>${token.rateLimit.max} per ${formatDuration(token.rateLimit.perMs)}</td><td>${at(token.createdAt)} by ${token.createdBy}</td><td>${token.lastUsedAt === null ? html`<span class="muted">never</span>` : minute(token.lastUsedAt)}</td>
<td><form method="post" action="/console/tokens/${token.id}/revoke">${csrfField(csrf)}<button class="danger" type="submit" aria-label="Revoke token ${token.id}">Revoke</button></form></td></tr>`;
}

function field(form: TokenForm, name: keyof TokenForm, label: string, hint: string): SafeHtml {
  return html`<label>${label} <span class="muted">${hint}</span><input name="${name}" value="${form[name] ?? ''}"></label>`;
}

function createForm(form: TokenForm, csrf: string, error: string | undefined): SafeHtml {
  const scopes = TOKEN_SCOPES.map(
    (scope) => html`<option value="${scope}"${form.scope === scope && html` selected`}>${scope}</option>`,
  );
  return html`<h3 id="create">Create a token</h3>
${error && html`<p class="error" role="alert">${error}</p>`}
<form method="post" action="/console/tokens" class="filters">${csrfField(csrf)}
${field(form, 'owner', 'Owner', '(slug: whose checks it manages)')}
${field(form, 'name', 'Name', '(optional)')}
<label>Scope <select name="scope">${scopes}</select></label>
${field(form, 'quota.checks', 'Checks quota', '(optional, default by scope)')}
${field(form, 'quota.minInterval', 'Shortest interval', '(optional, e.g. 30s)')}
${field(form, 'quota.vantages', 'Vantages per check', '(optional)')}
<button class="primary" type="submit">Create</button></form>`;
}

/** Every token with a Revoke button, and the create form (with the error of a refused one). */
export function tokensBody(options: { tokens: TokenRow[]; csrf: string; form?: TokenForm; error?: string }): SafeHtml {
  const { tokens, csrf, form = {}, error } = options;
  return html`<h2>Tokens</h2>
<table><thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Owner</th><th scope="col">Scope</th><th scope="col">Quota</th><th scope="col">Rate limit</th><th scope="col">Created (UTC)</th><th scope="col">Last used (UTC, to the minute)</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${tokens.map((token) => tokenRow(token, csrf))}</tbody></table>
${createForm(form, csrf, error)}`;
}

/** The one page that shows a new token's secret: served no-store, never listed again. */
export function tokenCreatedBody(options: { secret: string; token: TokenRow }): SafeHtml {
  const { secret, token } = options;
  return html`<h2>Token ${token.id} created</h2>
<p role="status">Copy it now: this is the only time it is shown. Vigil keeps only its hash.</p>
<p><code id="token-secret">${secret}</code></p>
<dl class="facts"><dt>Name</dt><dd>${token.name}</dd><dt>Owner</dt><dd>${token.owner}</dd><dt>Scope</dt><dd>${token.scope}</dd></dl>
<p><a href="/console/tokens">Back to the tokens</a></p>`;
}
