// Charts: Apache ECharts (vendored, vendor/README.md) drawn as SVG with its aria description, each
// followed by its table twin holding the same numbers — the chart is for the eye, the table for
// reading, screen readers and the browser tests.

import { el, table } from "./dom.js";

function number(value) {
  return value === null || value === undefined ? "—" : String(value);
}

// A bar chart of `series` ({name, values, shown?}) over `categories`, stacked or grouped, and its
// twin; `shown` are the values as the service wrote them (decimal strings), for the table.
export function barChart({ id, title, categories, series, stacked = false, unit = "", keyHeading = "" }) {
  const height = 280;
  const box = el("div", { class: "chart", id, role: "img", "aria-label": title });
  const figure = el(
    "figure",
    { class: "figure", "aria-labelledby": `${id}-caption` },
    el("figcaption", { id: `${id}-caption`, text: title }),
    box,
    table(
      `${title}: the numbers`,
      [
        [keyHeading, (i) => categories[i]],
        ...series.map((s) => [s.name, (i) => (s.shown ? s.shown[i] : number(s.values[i]) + (s.values[i] == null ? "" : unit))]),
      ],
      categories.map((_, i) => i),
    ),
  );
  if (!window.echarts) {
    box.replaceChildren(el("p", { class: "empty", text: "The chart library did not load; the table below holds every number." }));
    return figure;
  }
  const chart = window.echarts.init(box, null, { renderer: "svg", width: 960, height });
  chart.setOption({
    animation: false,
    aria: { enabled: true },
    color: ["#0b5fad", "#a40e26", "#2da44e", "#bf8700", "#8250df", "#57606a", "#1b7c83", "#cf222e"],
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 56, containLabel: true },
    xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: categories.length > 8 ? 30 : 0 } },
    yAxis: { type: "value", axisLabel: { formatter: `{value}${unit}` } },
    series: series.map((s) => ({ name: s.name, type: "bar", stack: stacked ? "all" : undefined, data: s.values })),
  });
  return figure;
}
