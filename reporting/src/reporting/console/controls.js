// What the report screens share: a period and choices kept in the URL fragment (a screen is a link
// to share), and a CSV button that downloads the very report on show.

import { downloadCsv } from "./api.js";
import { el } from "./dom.js";

const DAY = 86_400_000;
const PERIOD = "leadloop.period"; // the period last chosen, for every screen of this tab

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

// The period of the fragment (`from=YYYY-MM-DD&through=YYYY-MM-DD`); without one, the period last
// chosen on any screen of this tab, else the last 30 days: one date range across the screens.
export function windowOf(query) {
  if (query.get("from") && query.get("through")) {
    const chosen = { from: query.get("from"), through: query.get("through") };
    sessionStorage.setItem(PERIOD, JSON.stringify(chosen));
    return chosen;
  }
  try {
    const kept = JSON.parse(sessionStorage.getItem(PERIOD) ?? "null");
    if (kept?.from && kept?.through) return kept;
  } catch {
    // a period that no longer reads is forgotten: the default below
  }
  const today = new Date(isoDay(new Date()) + "T00:00:00Z");
  return { from: isoDay(new Date(today.getTime() - 29 * DAY)), through: isoDay(today) };
}

// The period of the fragment as the API's [from, to): through is a whole day, inclusive.
export function periodOf(query) {
  const { from, through } = windowOf(query);
  const to = new Date(new Date(`${through}T00:00:00Z`).getTime() + DAY).toISOString();
  return { from, through, start: `${from}T00:00:00Z`, to };
}

// A form of the period and of each choice ([name, label, options, value]); submitting it goes to
// `screen` with the choices in the fragment.
export function reportForm(screen, query, choices, go, extra = []) {
  const { from, through } = windowOf(query);
  const selects = choices.map(([name, label, options, value]) => [
    el("label", { for: `choice-${name}`, text: label }),
    el(
      "select",
      { id: `choice-${name}`, name },
      options.map((option) => el("option", { value: option, selected: option === value, text: option })),
    ),
  ]);
  const form = el(
    "form",
    { class: "window", "aria-label": "What to show" },
    el("label", { for: "from", text: "From" }),
    el("input", { id: "from", name: "from", type: "date", value: from, required: true }),
    el("label", { for: "through", text: "Through" }),
    el("input", { id: "through", name: "through", type: "date", value: through, required: true }),
    selects,
    extra,
    el("button", { type: "submit", text: "Show" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams([...new FormData(form)].filter(([, value]) => value !== ""));
    go(`#/${screen}?${params}`);
  });
  return form;
}

export function csvButton(service, path, filename) {
  const status = el("span", { class: "hint", role: "status" });
  const button = el("button", { type: "button", class: "secondary", text: "Download CSV" });
  button.addEventListener("click", async () => {
    status.textContent = "";
    const answer = await downloadCsv(service, path, filename);
    if (!answer.ok) status.textContent = answer.error;
  });
  return el("div", { class: "csv" }, button, status);
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)} %`;
}

export function hours(spread) {
  if (!spread || spread.median == null) return "—";
  return `${spread.median} h (p90 ${spread.p90} h)`;
}
