import { escapeHtml } from "./html";

export interface LegendEntry {
  readonly name: string;
  readonly color: string;
  readonly dash?: string;
}

/** A key above a chart: filled squares for areas, short strokes (with their dashes) for lines. */
export const renderLegend = (entries: readonly LegendEntry[], mark: "area" | "line"): string => {
  const items = entries.map((entry) => {
    const swatch =
      mark === "area"
        ? `<rect x="1" y="1" width="12" height="12" rx="2" fill="${entry.color}"/>`
        : `<line x1="0" x2="22" y1="7" y2="7" stroke="${entry.color}" stroke-width="3"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ""}/>`;
    const width = mark === "area" ? 14 : 22;
    return `<li><svg width="${width}" height="14" viewBox="0 0 ${width} 14" aria-hidden="true">${swatch}</svg>${escapeHtml(entry.name)}</li>`;
  });
  return `<ul class="legend">${items.join("")}</ul>`;
};
