// Attribution: every model side by side for a chosen outcome and touch field — grouped bars of the
// conversions each model credits each key, the same as a table, each model's formula one click
// away (reporting's own words, GET /v1/reports/attribution/models); CSV of the same report.

import { ask } from "./api.js";
import { barChart } from "./charts.js";
import { csvButton, periodOf, reportForm } from "./controls.js";
import { el, empty, problem } from "./dom.js";

const OUTCOMES = ["won", "opportunity", "sql", "mql"];
const KEYS = ["channel", "source", "medium", "campaign", "content"];
const MEASURES = ["conversions", "revenue"];

export async function attributionPage(query, go) {
  const title = el("h1", { id: "attribution-title", text: "Attribution" });
  const outcome = OUTCOMES.includes(query.get("outcome")) ? query.get("outcome") : "won";
  const groupBy = KEYS.includes(query.get("group_by")) ? query.get("group_by") : "channel";
  const measure = MEASURES.includes(query.get("measure")) ? query.get("measure") : "conversions";
  const form = reportForm(
    "attribution",
    query,
    [
      ["outcome", "Outcome", OUTCOMES, outcome],
      ["group_by", "Credit", KEYS, groupBy],
      ["measure", "Measure", MEASURES, measure],
    ],
    go,
  );
  const { from, through, start, to } = periodOf(query);
  if (from > through) return el("section", {}, title, form, problem("“From” must not be after “Through”."));
  const params = new URLSearchParams({ outcome, group_by: groupBy, from: start, to });
  const [answer, formulas] = await Promise.all([
    ask("reporting", `/v1/reports/attribution?${params}`),
    ask("reporting", "/v1/reports/attribution/models"),
  ]);
  if (!answer.ok) return el("section", { "aria-labelledby": "attribution-title" }, title, form, problem(answer.error));
  const models = Object.keys(answer.data.models);
  const keys = [...new Set(models.flatMap((model) => answer.data.models[model].map((credit) => credit.key)))].sort();
  const credit = (model, key) => answer.data.models[model].find((c) => c.key === key)?.[measure] ?? 0;
  const summary = el(
    "p",
    { class: "hint", id: "attribution-summary" },
    `${answer.data.journeys} journeys, ${answer.data.conversions} reached “${outcome}”, revenue ${answer.data.revenue} (${from} through ${through}).`,
  );
  const explained = el(
    "div",
    { class: "formulas" },
    el("h2", { text: "How each model credits" }),
    formulas.ok
      ? formulas.data.map((f) => el("details", {}, el("summary", { text: f.model }), el("p", { class: "formula", text: f.formula })))
      : problem(formulas.error),
  );
  if (!answer.data.conversions) {
    return el("section", { "aria-labelledby": "attribution-title" }, title, form, summary, empty(`Nothing reached “${outcome}” in this period.`), explained);
  }
  return el(
    "section",
    { "aria-labelledby": "attribution-title" },
    title,
    form,
    summary,
    csvButton("reporting", `/v1/reports/attribution?${params}`, `attribution-${outcome}-${groupBy}-${from}-${through}.csv`),
    barChart({
      id: "attribution-chart",
      title: `${measure === "revenue" ? "Revenue" : "Conversions"} credited to each ${groupBy} by each model`,
      keyHeading: groupBy,
      categories: keys,
      series: models.map((model) => ({
        name: model,
        values: keys.map((key) => Number(credit(model, key))),
        shown: keys.map((key) => String(credit(model, key))),
      })),
    }),
    explained,
  );
}
