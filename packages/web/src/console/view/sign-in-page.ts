import { html, type SafeHtml } from '../../status/page/escape.js';

/** The sign-in form: through the IdP when `console.oidc` is set, or by pasting an API token (checked as the API checks it). */
export function signInBody(error?: string, oidc = false): SafeHtml {
  return html`<h2>Sign in</h2>
${oidc && html`<p><a class="button primary" href="/console/auth/oidc">Sign in with your identity provider</a></p>`}
<div class="card">
<form method="post" action="/console/sign-in">
<p><label for="token">API token<input id="token" name="token" type="password" autocomplete="off" required size="50"
${error && html`aria-invalid="true" aria-describedby="token-error"`}></label></p>
${error && html`<p id="token-error" class="error" role="alert">${error}</p>`}
<p><button class="primary" type="submit">Sign in</button></p>
</form>
<p class="muted">Create a token with <code>vigil tokens create</code>. The console keeps a session, never the token.</p>
</div>`;
}
