/** The dashboard's stylesheet, embedded in the binary (served at /dashboard/assets/dashboard.css). */
export const DASHBOARD_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #59636e; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; --focus: #0a58ca; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: #0550ae; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
header.top { display: flex; gap: 24px; align-items: center; padding: 10px 20px; background: #24292f; color: #fff; }
header.top a { color: #fff; margin-right: 16px; text-decoration: none; }
header.top a[aria-current="page"] { text-decoration: underline; font-weight: 600; }
header.top .brand { font-size: 16px; }
header.top #sign-out { margin-left: auto; }
main { padding: 16px 20px; }
h2 { font-size: 18px; margin: 8px 0 12px; } h3 { font-size: 16px; margin: 16px 0 8px; } h4 { margin: 12px 0 6px; }
.muted { color: var(--muted); font-weight: normal; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.empty { color: var(--muted); font-style: italic; }
.error, #flash .error { color: #a40e26; }
#flash:empty { display: none; }
#flash { margin: 12px 20px 0; padding: 10px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
#flash.is-error { border-color: #cf222e; background: #ffebe9; color: #82071e; }
#credential-panel { margin: 16px 20px; padding: 16px; border: 1px solid var(--line); border-radius: 8px; max-width: 560px; background: var(--panel); }
button { font: inherit; padding: 5px 12px; border: 1px solid #8c959f; border-radius: 6px; background: #f6f8fa; cursor: pointer; }
button:hover { background: #eaeef2; }
button[data-action="cancel-task"], button[data-action="resolve"], button[data-action="resolve-dlq"] { border-color: #cf222e; color: #a40e26; }
input, select, textarea { font: inherit; padding: 4px 6px; border: 1px solid #8c959f; border-radius: 4px; }
textarea { width: 100%; font-family: ui-monospace, monospace; }
label { display: block; font-weight: 600; margin: 8px 0 2px; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: flex-end; padding: 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
form.filters .field.buttons { display: flex; gap: 12px; align-items: center; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.pagination { display: flex; gap: 16px; margin: 12px 0; align-items: center; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid transparent; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.actions { display: flex; gap: 8px; margin: 8px 0; }
.task-layout { display: grid; grid-template-columns: minmax(0, 1fr) 420px; gap: 20px; align-items: start; }
@media (max-width: 1000px) { .task-layout { grid-template-columns: 1fr; } }
#inspector:empty::before { content: "Select a step in the graph to inspect it."; color: var(--muted); }
#inspector { border-left: 1px solid var(--line); padding-left: 16px; }
.dag-scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; background: #fbfcfd; }
svg.dag { display: block; }
.dag-edge { fill: none; stroke: #8c959f; stroke-width: 1.5; }
.dag-arrow { fill: #8c959f; }
.dag-node rect { stroke-width: 2; }
.dag-node.dynamic rect { stroke-dasharray: 6 4; }
.dag-node.selected rect { stroke-width: 4; }
a:focus-visible .dag-node rect { stroke: var(--focus); stroke-width: 4; }
.dag-node text { font-size: 12px; fill: #1b1f24; }
.dag-name { font-weight: 700; font-size: 13px !important; }
.dag-state { font-weight: 600; text-transform: uppercase; letter-spacing: .03em; font-size: 11px !important; }
.dag-timing, .dag-created-by { fill: #424a53 !important; font-size: 11px !important; }
.dag-edge.extra { stroke-dasharray: 6 4; }
.dag-node.template-step rect { fill: #fff; stroke: #59636e; }
.badge.step-type { color: #424a53; background: #eaeef2; border-color: #8c959f; }
form.dlq-resolve { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; }
form.dlq-resolve label { margin: 0; }
form.dlq-resolve input { flex: 1 1 160px; }
pre: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; max-height: 260px; font-size: 12px; }
.step-error { padding: 8px; border: 1px solid #cf222e; background: #ffebe9; border-radius: 6px; margin: 8px 0; }
.step-actions input[type="text"] { width: 100%; }
.step-actions { padding: 8px 12px; border: 1px solid var(--line); border-radius: 8px; margin: 12px 0; }
.overview { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px 32px; }
.overview > section { min-width: 0; overflow-x: auto; }
.overview > section.wide { grid-column: 1 / -1; }
.chart svg { width: 100%; height: auto; }
.chart .bar { fill: #2da44e; } .chart .axis { font-size: 11px; fill: var(--muted); } .chart .axis-line { stroke: var(--line); }
.health-healthy { background: #dafbe1; color: #116329; } .health-degraded { background: #fff8c5; color: #7d4e00; } .health-unhealthy { background: #ffebe9; color: #a40e26; }
/* States: the colour helps, the text label carries the meaning. */
.state-pending, .state-initializing { --c: #59636e; --b: #f6f8fa; }
.state-enqueued, .state-enqueuing_steps { --c: #0550ae; --b: #ddf4ff; }
.state-in_progress, .state-steps_in_process, .state-evaluating_results, .state-enqueued_for_orchestration, .state-enqueued_as_error_for_orchestration { --c: #0969da; --b: #b6e3ff; }
.state-waiting_for_retry, .state-waiting_for_dependencies { --c: #7d4e00; --b: #fff8c5; }
.state-complete { --c: #116329; --b: #dafbe1; }
.state-error, .state-blocked_by_failures { --c: #a40e26; --b: #ffebe9; }
.state-cancelled { --c: #424a53; --b: #eaeef2; }
.state-resolved_manually { --c: #6639ba; --b: #fbefff; }
.badge[class*="state-"] { color: var(--c); background: var(--b); border-color: var(--c); }
.dag-node rect { fill: var(--b, #fff); stroke: var(--c, #8c959f); }
.dag-node .dag-state { fill: var(--c, #1b1f24) !important; }
`;
