/** The page's whole stylesheet, inline: the report loads nothing. Dark text on light. */
export const REPORT_STYLE = `
:root { color: #1b1f24; background: #f6f7f9; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
body { margin: 0; }
header, main { max-width: 1320px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 22px; padding-bottom: 6px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 26px 0 10px; }
.meta { margin: 0; color: #4a525c; }
code { font: 13px ui-monospace, "DejaVu Sans Mono", monospace; background: #e9ecf0; padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(var(--columns), minmax(0, 1fr)); }
@media (max-width: 900px) { .grid { grid-template-columns: minmax(0, 1fr); } }
.chart { margin: 0; background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 10px 12px 6px; }
.chart figcaption { font-weight: 600; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 4px 0 2px; padding: 0; font-size: 12.5px; color: #333a42; }
.legend li { display: flex; align-items: center; gap: 5px; }
svg.plot { display: block; width: 100%; height: auto; font-size: 11px; }
.plot-area { fill: #fff; }
svg .gridline { stroke: #e6e9ed; stroke-width: 1; }
svg .axis { stroke: #8a939d; stroke-width: 1; }
svg .tick { fill: #444c55; }
svg .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg .guide-line { stroke: #6b7480; stroke-width: 1; stroke-dasharray: 3 4; }
svg .guide-label { fill: #4a525c; font-size: 10.5px; }
svg .empty { fill: #6b7480; font-size: 13px; }
svg .cursor { stroke: #1b1f24; stroke-width: 1; stroke-opacity: 0.5; pointer-events: none; }
.summary { border-collapse: collapse; background: #fff; border: 1px solid #dde1e6; min-width: 560px; font-variant-numeric: tabular-nums; }
.summary th, .summary td { padding: 5px 14px; border-bottom: 1px solid #eceff2; text-align: left; }
.summary thead th { border-bottom: 2px solid #c9ced5; }
.summary .num { text-align: right; }
.summary tr.group th { background: #f0f2f5; font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: #4a525c; }
.summary tbody th { font-weight: 500; }
.summary .best { font-weight: 700; background: #e3f4ec; }
.summary .fault { color: #a3310b; font-weight: 700; background: #fbe7de; }
.chip { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.tables { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
.tables > div { flex: 1 1 300px; max-width: 560px; }
.summary.world { min-width: 0; }
.note { color: #4a525c; font-size: 12.5px; margin: 10px 0 0; }
.tip { position: absolute; pointer-events: none; background: #fff; border: 1px solid #b8bfc7; border-radius: 6px; padding: 6px 9px; font-size: 12.5px; box-shadow: 0 2px 8px rgb(0 0 0 / 0.12); white-space: nowrap; }
.tip-x { font-weight: 600; margin-bottom: 2px; }
.tip-total { border-top: 1px solid #dde1e6; margin-top: 3px; padding-top: 2px; }
footer { max-width: 1320px; margin: 28px auto 24px; padding: 0 24px; color: #6b7480; font-size: 12px; }
`;
