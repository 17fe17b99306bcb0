import { type Axis, axisFraction } from "./axis";
import { escapeHtml } from "./html";

export type Point = readonly [x: number, y: number];

export interface Series {
  readonly name: string;
  readonly color: string;
  /** An SVG stroke-dasharray, so that lines differ by more than their colour. */
  readonly dash?: string;
  readonly points: readonly Point[];
}

/** How the hover tooltip spells a point (the page's script reads it). */
export interface TipFormat {
  readonly x: "elapsed" | "wait";
  readonly y: "count" | "usd" | "share";
  /** Epoch milliseconds at x = 0, for the tooltip's UTC clock. */
  readonly startMs?: number;
}

export interface ChartSpec {
  readonly label: string;
  readonly width: number;
  readonly height: number;
  readonly x: Axis;
  readonly y: Axis;
  /**
   * "stacked": each series on top of the ones before it, all at the same x; "lines": each on its
   * own; "steps": each as a staircase (a distribution).
   */
  readonly kind: "stacked" | "lines" | "steps";
  readonly series: readonly Series[];
  /** Dashed horizontal lines across the plot, e.g. the median. */
  readonly guides?: readonly { readonly at: number; readonly label: string }[];
  readonly tip: TipFormat;
  readonly empty: string;
}

const MARGIN = { top: 10, right: 14, bottom: 50, left: 52 };
const LABEL_LINE_PX = 13;

/** The width of a chart's plot, inside its axes' labels. */
export const plotWidthOf = (chartWidth: number): number => chartWidth - MARGIN.left - MARGIN.right;

const round = (value: number): number => Math.round(value * 10) / 10;

/** One chart as inline SVG: the page draws it without script; the script only adds the tooltip. */
export const renderChart = (spec: ChartSpec): string => {
  const plot = {
    left: MARGIN.left,
    top: MARGIN.top,
    width: plotWidthOf(spec.width),
    height: spec.height - MARGIN.top - MARGIN.bottom,
  };
  const px = (x: number) => round(plot.left + axisFraction(spec.x, x) * plot.width);
  const py = (y: number) => round(plot.top + plot.height - axisFraction(spec.y, y) * plot.height);
  const drawn = spec.series.filter((series) => series.points.length > 0);

  const yGrid = spec.y.ticks
    .map(
      (tick) =>
        `<line class="gridline" x1="${plot.left}" x2="${plot.left + plot.width}" y1="${py(tick.at)}" y2="${py(tick.at)}"/>` +
        `<text class="tick" x="${plot.left - 6}" y="${py(tick.at) + 4}" text-anchor="end">${escapeHtml(tick.label.join(" "))}</text>`,
    )
    .join("");
  const xTicks = spec.x.ticks
    .map((tick) => {
      const lines = tick.label
        .map(
          (line, index) =>
            `<tspan x="${px(tick.at)}" dy="${index === 0 ? 0 : LABEL_LINE_PX}">${escapeHtml(line)}</tspan>`,
        )
        .join("");
      const base = plot.top + plot.height;
      return (
        `<line class="axis" x1="${px(tick.at)}" x2="${px(tick.at)}" y1="${base}" y2="${base + 4}"/>` +
        `<text class="tick" y="${base + 16}" text-anchor="middle">${lines}</text>`
      );
    })
    .join("");
  const guides = (spec.guides ?? [])
    .map(
      (guide) =>
        `<line class="guide-line" x1="${plot.left}" x2="${plot.left + plot.width}" y1="${py(guide.at)}" y2="${py(guide.at)}"/>` +
        `<text class="guide-label" x="${plot.left + 8}" y="${py(guide.at) - 4}">${escapeHtml(guide.label)}</text>`,
    )
    .join("");

  const marks =
    drawn.length === 0
      ? `<text class="empty" x="${plot.left + plot.width / 2}" y="${plot.top + plot.height / 2}" text-anchor="middle">${escapeHtml(spec.empty)}</text>`
      : spec.kind === "stacked"
        ? stackedAreas(drawn, px, py)
        : drawn.map((series) => line(series, spec.kind === "steps", px, py)).join("");

  const tip = {
    plot: [plot.left, plot.top, plot.width, plot.height],
    x: { kind: spec.x.kind, max: spec.x.max },
    format: spec.tip,
    stacked: spec.kind === "stacked" && drawn.length > 1,
    series: drawn.map((series) => ({
      name: series.name,
      color: series.color,
      points: series.points.map(([x, y]) => [x, Number(y.toPrecision(6))]),
    })),
  };

  return (
    `<svg class="plot" viewBox="0 0 ${spec.width} ${spec.height}" width="${spec.width}" height="${spec.height}" role="img" aria-label="${escapeHtml(spec.label)}" data-tip="${escapeHtml(JSON.stringify(tip))}">` +
    `<rect class="plot-area" x="${plot.left}" y="${plot.top}" width="${plot.width}" height="${plot.height}"/>` +
    yGrid +
    marks +
    guides +
    `<line class="axis" x1="${plot.left}" x2="${plot.left + plot.width}" y1="${plot.top + plot.height}" y2="${plot.top + plot.height}"/>` +
    xTicks +
    `<line class="cursor" x1="0" x2="0" y1="${plot.top}" y2="${plot.top + plot.height}" visibility="hidden"/>` +
    "</svg>"
  );
};

type Place = (value: number) => number;

const line = (series: Series, steps: boolean, px: Place, py: Place): string => {
  const [first, ...rest] = series.points;
  if (!first) return "";
  // A staircase keeps each level until the next point: a distribution rises only at a value.
  const tail = rest.map(([x, y]) => (steps ? `H${px(x)}V${py(y)}` : `L${px(x)},${py(y)}`));
  const dash = series.dash ? ` stroke-dasharray="${series.dash}"` : "";
  return (
    `<path class="line" d="M${px(first[0])},${py(first[1])}${tail.join("")}" stroke="${series.color}"${dash}>` +
    `<title>${escapeHtml(series.name)}</title></path>`
  );
};

/**
 * Each layer filled from the baseline up to its running total, the tallest first, so that each
 * layer covers the ones below it: one outline per layer instead of a top and a bottom.
 */
const stackedAreas = (layers: readonly Series[], px: Place, py: Place): string => {
  const base = layers[0]?.points ?? [];
  const totals = base.map(() => 0);
  const outlines = layers.map((layer) =>
    layer.points.map(([x, y], index): Point => {
      totals[index] = (totals[index] ?? 0) + y;
      return [x, totals[index] ?? 0];
    }),
  );
  return outlines
    .map((outline, index) => {
      const layer = layers[index] as Series;
      const first = outline[0];
      const last = outline.at(-1);
      if (!first || !last) return "";
      const top = outline.map(([x, y]) => `${px(x)},${py(y)}`).join("L");
      return (
        `<path class="area" d="M${px(first[0])},${py(0)}L${top}L${px(last[0])},${py(0)}Z" fill="${layer.color}">` +
        `<title>${escapeHtml(layer.name)}</title></path>`
      );
    })
    .reverse()
    .join("");
};
