// The overview: a window's leads, MQLs, SQLs, won deals and revenue against the window of the same
// length before it, and speed to lead — one answer from reporting (GET /v1/reports/overview).
// Tables first: each number is reporting's, shown as it answered.

import { ask } from "./api.js";
import { barChart } from "./charts.js";
import { periodOf, reportForm } from "./controls.js";
import { el, empty, problem, table, time } from "./dom.js";

const FEED_EVERY_MS = 3000;
const STEPS = ["captured", "scored", "routed", "accepted"];
let feedTimer = null;

const DAY = 86_400_000;

function change(now, before) {
  const difference = Number(now) - Number(before);
  if (Number(before) === 0) return difference === 0 ? "±0" : `+${difference}`;
  const sign = difference > 0 ? "+" : difference < 0 ? "−" : "±";
  return `${sign}${Math.abs(difference)} (${sign}${Math.round((Math.abs(difference) / Number(before)) * 100)} %)`;
}

// How far a lead got, as the steps it passed: "captured → scored → routed".
function progress(stage) {
  const reached = STEPS.indexOf(stage);
  return reached < 0 ? `captured → ${stage}` : STEPS.slice(0, reached + 1).join(" → ");
}

function feedRows(leads) {
  return leads.map((lead) =>
    el(
      "tr",
      { "data-lead": lead.lead_id, "data-stage": lead.stage },
      el("td", {}, time(lead.captured_at)),
      el("td", {}, el("a", { href: `#/leads/${lead.lead_id}`, text: lead.lead_id.slice(0, 8) })),
      el("td", { text: [lead.source, lead.campaign].filter(Boolean).join(" / ") || "—" }),
      el("td", { text: lead.score == null ? "—" : `${lead.score}${lead.grade ? ` (${lead.grade})` : ""}` }),
      el("td", { class: "stage", text: progress(lead.stage) }),
      el("td", { text: lead.owner ?? "—" }),
    ),
  );
}

// The live feed: reporting's latest leads, asked again every few seconds while the overview is on
// show; rows are replaced in place, so the page never reloads and focus stays where it was.
function liveFeed() {
  const body = el("tbody", {});
  const state = el("p", { id: "feed-status", class: "hint", role: "status", text: "Asking reporting…" });
  const feed = el(
    "table",
    { id: "live-feed" },
    el("caption", { text: "The latest leads, newest first (updates by itself)" }),
    el("thead", {}, el("tr", {}, ["Captured", "Lead", "Source / campaign", "Score", "Progress", "Owner"].map((h) => el("th", { scope: "col", text: h })))),
    body,
  );
  const refresh = async () => {
    if (!location.hash.startsWith("#/overview") && location.hash !== "" && location.hash !== "#/") {
      clearInterval(feedTimer);
      return;
    }
    const answer = await ask("reporting", "/v1/reports/latest-leads?limit=15");
    if (!answer.ok) {
      state.textContent = answer.error;
      state.className = "problem";
      return;
    }
    state.className = "hint";
    state.textContent = answer.data.leads.length ? `As of ${new Date(answer.data.now).toISOString().slice(11, 19)} UTC.` : "No leads yet.";
    body.replaceChildren(...feedRows(answer.data.leads));
  };
  if (feedTimer) clearInterval(feedTimer);
  feedTimer = setInterval(refresh, FEED_EVERY_MS);
  refresh();
  return [el("h2", { text: "Live feed" }), state, feed];
}

export async function overviewPage(query, go) {
  const { from, through, start, to } = periodOf(query);
  const form = reportForm("overview", query, [], go);
  const title = el("h1", { id: "overview-title", text: "Overview" });
  if (from > through) return el("section", {}, title, form, problem("“From” must not be after “Through”."));
  const answer = await ask("reporting", `/v1/reports/overview?${new URLSearchParams({ from: start, to })}`);
  if (!answer.ok) return el("section", {}, title, form, problem(answer.error), liveFeed());
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
            ["Target", ([, key]) => (answer.data.targets[key] == null ? "no target" : String(answer.data.targets[key]))],
            ["Of target", ([, key]) => ofTarget(current[key], answer.data.targets[key])],
          ],
          measures,
        ),
        barChart({
          id: "overview-chart",
          title: "This period against the previous one",
          categories: measures.filter(([, key]) => key !== "revenue").map(([name]) => name),
          series: [
            { name: "This period", values: measures.filter(([, key]) => key !== "revenue").map(([, key]) => current[key]) },
            { name: "Previous period", values: measures.filter(([, key]) => key !== "revenue").map(([, key]) => previous[key]) },
          ],
        }),
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
        barChart({
          id: "speed-bands",
          title: "MQLs by minutes from capture to first contact",
          categories: Object.keys(current.speed_bands),
          series: [{ name: "MQLs", values: Object.values(current.speed_bands) }],
        }),
      ];
  return el("section", { "aria-labelledby": "overview-title" }, title, form, body, liveFeed());
}

function ofTarget(value, target) {
  if (target == null) return "—";
  if (Number(target) === 0) return Number(value) > 0 ? "above" : "—";
  return `${Math.round((Number(value) / Number(target)) * 100)} %`;
}

function minutes(value) {
  return value === null || value === undefined ? "—" : `${value} min`;
}
