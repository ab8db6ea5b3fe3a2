import { createHash } from 'node:crypto';

/**
 * Keeps an open page current without a reload: every `data-refresh-ms` (on <body>) and whenever the
 * tab becomes visible again, it asks `/live` with the fragment's ETag and swaps the live region only
 * on a 200. Setting If-None-Match by hand makes fetch bypass the HTTP cache and hand us the 304.
 * The server built the fragment with escaping, so assigning it as markup is safe; the CSP allows no
 * other script to run from it anyway.
 */
export const REFRESH_SCRIPT = `(function () {
  var live = document.getElementById('live');
  if (!live || !window.fetch) return;
  var every = Math.max(1000, Number(document.body.getAttribute('data-refresh-ms')) || 15000);
  var etag = live.getAttribute('data-etag') || '';
  var busy = false;
  function poll() {
    if (busy || document.visibilityState === 'hidden') return;
    busy = true;
    fetch('/live', { headers: etag ? { 'if-none-match': etag } : {}, cache: 'no-store' })
      .then(function (res) {
        if (res.status !== 200) return;
        etag = res.headers.get('etag') || '';
        return res.text().then(function (body) { live.innerHTML = body; });
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  setInterval(poll, every);
  document.addEventListener('visibilitychange', poll);
})();`;

/** The CSP source that allows exactly this script and no other inline one. */
export const REFRESH_SCRIPT_HASH = `'sha256-${createHash('sha256').update(REFRESH_SCRIPT).digest('base64')}'`;
