/**
 * The page's only stylesheet, inlined so the first response paints everything. Mobile first; light
 * and dark follow `prefers-color-scheme`. Text colours keep at least 4.5:1 against their backgrounds
 * in both themes (the banner's white text sits on colours dark enough for either), and every colour
 * is repeated as words, so the bars and dots are decoration for sighted readers, never the message.
 */
export const STYLES = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--link:#0550ae;--card:#f6f8fa;--border:#d1d9e0;
--ok:#1a7f37;--minor:#8c6400;--major:#bc4c00;--critical:#cf222e;--maintenance:#0550ae;--nodata:#d1d9e0;
--day-ok:#2da44e;--day-degraded:#d4a72c;--day-partial:#e16f24;--day-major:#cf222e}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--link:#4493f8;--card:#151b23;
--border:#3d444d;--nodata:#3d444d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
a{color:var(--link)}
.wrap{max-width:56rem;margin:0 auto;padding:0 1rem}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem 1rem;z-index:1}
.skip:focus{left:1rem}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
header{border-bottom:1px solid var(--border);padding:1rem 0}
header h1{margin:0;font-size:1.5rem}
header p{margin:.25rem 0 0;color:var(--muted)}
main{padding:1rem 0 2rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem}
h3{font-size:1.05rem;margin:1.25rem 0 .5rem}
.banner{color:#fff;border-radius:.5rem;padding:1rem 1.25rem;font-size:1.2rem;font-weight:600;margin:1rem 0}
.banner-ok{background:var(--ok)}.banner-minor{background:var(--minor)}.banner-major{background:var(--major)}
.banner-critical{background:var(--critical)}.banner-maintenance{background:var(--maintenance)}
.list{list-style:none;margin:0;padding:0}
.card{background:var(--card);border:1px solid var(--border);border-radius:.5rem;padding:.75rem 1rem;margin:0 0 .75rem}
.card>:first-child{margin-top:0}
.row{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem}
.name{font-weight:600}
.muted,.desc{color:var(--muted)}
.desc{margin:.25rem 0 0;font-size:.95rem}
.status::before{content:"";display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.4em;background:var(--nodata)}
.s-operational::before{background:var(--day-ok)}.s-degraded_performance::before{background:var(--day-degraded)}
.s-partial_outage::before{background:var(--day-partial)}.s-major_outage::before{background:var(--day-major)}
.s-under_maintenance::before{background:var(--maintenance)}
.bar{display:flex;gap:1px;height:2rem;margin:.5rem 0 .25rem}
.day{flex:1;border-radius:1px;background:var(--nodata)}
.d-operational{background:var(--day-ok)}.d-degraded_performance{background:var(--day-degraded)}
.d-partial_outage{background:var(--day-partial)}.d-major_outage{background:var(--day-major)}
.bar-legend{display:flex;justify-content:space-between;font-size:.85rem;color:var(--muted)}
.checks{margin:.5rem 0 0;padding-left:1.25rem;font-size:.95rem}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
.timeline{list-style:none;margin:.5rem 0 0;padding:0}
.timeline li{border-left:3px solid var(--border);padding:0 0 .75rem .75rem}
.timeline p{margin:0}
.timeline time,.meta{font-size:.9rem;color:var(--muted)}
.bounds{font-weight:600}
form{display:grid;gap:.75rem;max-width:32rem}
fieldset{border:1px solid var(--border);border-radius:.5rem}
input[type=email]{font:inherit;padding:.5rem;width:100%;border:1px solid var(--muted);border-radius:.375rem;background:var(--bg);color:var(--fg)}
button{font:inherit;padding:.5rem 1rem;border:0;border-radius:.375rem;background:var(--maintenance);color:#fff;cursor:pointer;justify-self:start}
nav.pages{display:flex;justify-content:space-between;margin:2rem 0}
.postmortem{border-top:1px solid var(--border);margin-top:1.5rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
footer{border-top:1px solid var(--border);padding:1rem 0 2rem;font-size:.9rem;color:var(--muted)}
@media (min-width:40rem){header h1{font-size:1.75rem}.bar{height:2.25rem}}
`;
