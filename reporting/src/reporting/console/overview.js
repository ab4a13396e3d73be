// The overview: a window's leads, MQLs, SQLs, won deals and revenue against the window of the same
// length before it, and speed to lead — one answer from reporting (GET /v1/reports/overview).
// Tables first: each number is reporting's, shown as it answered.

import { ask } from "./api.js";
import { el, empty, problem, table } from "./dom.js";

const DAY = 86_400_000;

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

// The window in the fragment (#/overview?from=YYYY-MM-DD&through=YYYY-MM-DD), else the last 30 days.
export function windowOf(query) {
  const today = new Date(isoDay(new Date()) + "T00:00:00Z");
  const through = query.get("through") ?? isoDay(today);
  const from = query.get("from") ?? isoDay(new Date(today.getTime() - 29 * DAY));
  return { from, through };
}

function change(now, before) {
  const difference = Number(now) - Number(before);
  if (Number(before) === 0) return difference === 0 ? "±0" : `+${difference}`;
  const sign = difference > 0 ? "+" : difference < 0 ? "−" : "±";
  return `${sign}${Math.abs(difference)} (${sign}${Math.round((Math.abs(difference) / Number(before)) * 100)} %)`;
}

export async function overviewPage(query, go) {
  const { from, through } = windowOf(query);
  const to = isoDay(new Date(new Date(through + "T00:00:00Z").getTime() + DAY));
  const form = el(
    "form",
    { class: "window", "aria-label": "Period" },
    el("label", { for: "from", text: "From" }),
    el("input", { id: "from", name: "from", type: "date", value: from, required: true }),
    el("label", { for: "through", text: "Through" }),
    el("input", { id: "through", name: "through", type: "date", value: through, required: true }),
    el("button", { type: "submit", text: "Show" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    go(`#/overview?from=${data.get("from")}&through=${data.get("through")}`);
  });
  const title = el("h1", { id: "overview-title", text: "Overview" });
  if (from > through) return el("section", {}, title, form, problem("“From” must not be after “Through”."));
  const answer = await ask("reporting", `/v1/reports/overview?from=${from}T00:00:00Z&to=${to}T00:00:00Z`);
  if (!answer.ok) return el("section", {}, title, form, problem(answer.error));
  const { current, previous } = answer.data;
  const measures = [
    ["Leads", "leads"],
    ["MQLs", "mqls"],
    ["SQLs", "sqls"],
    ["Won", "won"],
    ["Revenue", "revenue"],
  ];
  const body = current.leads === 0 && previous.leads === 0
    ? [empty("No leads in this period, nor in the one before.")]
    : [
        current.leads === 0 ? empty("No leads in this period.") : null,
        table(
          `Captured ${from} through ${through}, against the ${Math.round((new Date(current.to) - new Date(current.start)) / DAY)} days before`,
          [
            ["Measure", ([name]) => name],
            ["This period", ([, key]) => String(current[key])],
            ["Previous period", ([, key]) => String(previous[key])],
            ["Change", ([, key]) => change(current[key], previous[key])],
          ],
          measures,
        ),
        el("h2", { text: "Speed to lead" }),
        el(
          "p",
          { class: "hint", id: "speed-summary" },
          `${current.contacted} of ${current.mqls} MQLs contacted; from capture to first contact, median `,
          minutes(current.to_first_contact_minutes.median),
          ", p90 ",
          minutes(current.to_first_contact_minutes.p90),
          ".",
        ),
        table(
          "MQLs by minutes from capture to first contact",
          [
            ["Minutes", ([band]) => band],
            ["MQLs", ([, count]) => String(count)],
          ],
          Object.entries(current.speed_bands),
        ),
      ];
  return el("section", { "aria-labelledby": "overview-title" }, title, form, body);
}

function minutes(value) {
  return value === null || value === undefined ? "—" : `${value} min`;
}
