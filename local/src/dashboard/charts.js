/* global document */
// Small SVG line charts for the dashboard, drawn from plain data: no library,
// no build step. Each series becomes one <polyline data-series="name"> (tests
// count the drawn points), with a legend and the y axis's top value.

const SVG = "http://www.w3.org/2000/svg";
const W = 520;
const H = 150;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };
const COLOURS = ["#175cd3", "#b42318", "#18794e", "#a15c07", "#7a5af8", "#0e7090", "#c11574", "#475467", "#4e5ba6", "#3f621a"];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function fmtY(v, unit) {
  if (unit === "%") return `${Math.round(v * 100)}%`;
  if (v >= 1000) return `${(v / 1000).toFixed(1)}k${unit || ""}`;
  return `${Number.isInteger(v) ? v : v.toFixed(1)}${unit || ""}`;
}

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/**
 * Draws `series` ([{name, points: [{x: epoch ms, y: number|null}]}]) into the
 * element `target`, over [from, to]. A null y breaks the line (no reading).
 */
export function lineChart(target, series, { from, to, unit = "", max } = {}) {
  const drawn = series.filter((s) => s.points.some((p) => p.y !== null));
  const top = max ?? Math.max(1, ...drawn.flatMap((s) => s.points.filter((p) => p.y !== null).map((p) => p.y)));
  const x = (ms) => PAD.left + ((ms - from) / Math.max(1, to - from)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" });
  root.append(
    svg("line", { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, class: "axis" }),
    svg("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom, class: "axis" }),
    svg("line", { x1: PAD.left, y1: PAD.top, x2: W - PAD.right, y2: PAD.top, class: "grid" }),
    svg("text", { x: PAD.left - 4, y: PAD.top + 4, "text-anchor": "end", class: "tick" }, fmtY(top, unit)),
    svg("text", { x: PAD.left - 4, y: H - PAD.bottom, "text-anchor": "end", class: "tick" }, fmtY(0, unit)),
    svg("text", { x: PAD.left, y: H - 4, class: "tick" }, clock(from)),
    svg("text", { x: W - PAD.right, y: H - 4, "text-anchor": "end", class: "tick" }, clock(to)),
  );
  drawn.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    // Runs of readings between gaps: one polyline per run, all tagged with the series.
    let run = [];
    const flush = () => {
      if (run.length === 1) root.append(svg("circle", { cx: run[0][0], cy: run[0][1], r: 2.5, fill: colour, "data-series": s.name, class: "point" }));
      if (run.length > 1) root.append(svg("polyline", { points: run.map((p) => p.join(",")).join(" "), fill: "none", stroke: colour, "stroke-width": 1.6, "data-series": s.name, "data-points": run.length }));
      run = [];
    };
    for (const p of s.points) {
      if (p.y === null || p.x < from || p.x > to) flush();
      else run.push([x(p.x).toFixed(1), y(Math.min(p.y, top)).toFixed(1)]);
    }
    flush();
  });
  const legend = document.createElement("p");
  legend.className = "legend";
  if (drawn.length === 0) legend.textContent = "no data yet";
  drawn.forEach((s, i) => {
    const item = document.createElement("span");
    item.style.setProperty("--swatch", COLOURS[i % COLOURS.length]);
    item.className = "swatch";
    item.textContent = s.name;
    legend.append(item);
  });
  target.replaceChildren(root, legend);
  target.dataset.series = String(drawn.length);
}

/** Per-minute counts as points over every minute of the window (a minute without a row is 0). */
export function perMinute(rows, from, to) {
  const byMinute = new Map(rows.map((r) => [Date.parse(r.t), r.count]));
  const points = [];
  const start = Math.ceil(from / 60000) * 60000;
  for (let m = start; m <= to; m += 60000) points.push({ x: m, y: byMinute.get(m) ?? 0 });
  return points;
}
