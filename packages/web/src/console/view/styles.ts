/**
 * The console's one stylesheet, served as a fingerprinted file (the CSP allows no inline style).
 * Light and dark follow `prefers-color-scheme`, as the status page does; each state is a word in
 * its cell, its colour only a second signal, with white text at 4.5:1 or more on every state colour.
 */
export const CONSOLE_STYLES = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--link:#0550ae;--card:#f6f8fa;--border:#d1d9e0;
--up:#1a7f37;--degraded:#8c6400;--down:#cf222e;--unknown:#59636e;--paused:#59636e;--maintenance:#0550ae;--focus:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--link:#4493f8;--card:#151b23;
--border:#3d444d;--down:#c0222c;--focus:#4493f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
a{color:var(--link)}
:focus-visible{outline:2px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem 1rem;z-index:1}
.skip:focus{left:1rem}
.wrap{max-width:80rem;margin:0 auto;padding:0 1rem}
header{border-bottom:1px solid var(--border);padding:.6rem 0}
header .wrap{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
header h1{margin:0;font-size:1.2rem}
header nav a{margin-right:1rem}
.who{margin-left:auto;display:flex;gap:.5rem;align-items:center;color:var(--muted)}
.who form{margin:0;display:flex;gap:.25rem;align-items:center}
main{padding:1rem 0 2rem}
h2{font-size:1.15rem;margin:1.25rem 0 .5rem}
button,input,select,textarea{font:inherit;color:inherit}
button{background:var(--card);border:1px solid var(--border);border-radius:.35rem;padding:.3rem .8rem;cursor:pointer}
button.primary{background:var(--link);border-color:var(--link);color:#fff}
@media (prefers-color-scheme:dark){button.primary{background:#1f6feb;border-color:#1f6feb}}
input,select,textarea{background:var(--bg);border:1px solid var(--border);border-radius:.35rem;padding:.3rem .5rem}
label{display:inline-flex;flex-direction:column;gap:.15rem;font-size:.9rem}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin:0 0 1rem}
.card{background:var(--card);border:1px solid var(--border);border-radius:.5rem;padding:1rem;max-width:32rem}
.error{color:var(--down);font-weight:600}
@media (prefers-color-scheme:dark){.error{color:#ff7b72}}
.muted{color:var(--muted)}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.fleet{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0;margin:0 0 .5rem}
.fleet li{border:1px solid var(--border);border-radius:.35rem;padding:.2rem .6rem}
.fleet .state{padding:0 .4rem;border-radius:.25rem}
.queues li{font-size:.9rem}.queues li.lagging{border-color:var(--degraded);border-width:2px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--border);padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{font-size:.85rem;color:var(--muted)}
.state{color:#fff;font-weight:600;text-align:center;white-space:nowrap}
.state-up{background:var(--up)}.state-degraded{background:var(--degraded)}.state-down{background:var(--down)}
.state-unknown,.state-new,.state-silent{background:var(--unknown)}.state-paused{background:var(--paused)}
.state-maintenance{background:var(--maintenance)}.state-ok{background:var(--up)}.state-impaired{background:var(--degraded)}
.state-up::before{content:"\\2714\\FE0E  " / ""}.state-degraded::before{content:"\\25B2\\FE0E  " / ""}.state-down::before{content:"\\2716\\FE0E  " / ""}
.legend{margin:0 0 .75rem}.legend dl{display:flex;flex-wrap:wrap;gap:.4rem 1.25rem;margin:.5rem 0}.legend div{display:flex;gap:.4rem;align-items:center}.legend dd{margin:0}
.pager{display:flex;gap:1rem;margin:.75rem 0}
.timeline{list-style:none;padding:0}
.timeline li{border-left:3px solid var(--border);padding:.2rem 0 .6rem .8rem}
.actions{display:flex;gap:.75rem;margin:1rem 0}
.actions form{margin:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.stack{display:flex;flex-direction:column;gap:.5rem;max-width:48rem}.stack label{display:flex}.stack>button{align-self:flex-start}
form.inline{display:inline;margin:0}
.postmortem{border:1px solid var(--border);border-radius:.5rem;padding:0 1rem;max-width:48rem}
`;
