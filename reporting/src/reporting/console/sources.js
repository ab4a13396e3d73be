// Sources and quality: MQL and SQL rates, and why leads were rejected, lost or recycled, by source,
// campaign, content, grade or score band (GET /v1/reports/quality); spend and ROI where spend is
// loaded, by channel, source or campaign under a chosen attribution model (GET /v1/reports/roi).

import { ask } from "./api.js";
import { barChart } from "./charts.js";
import { csvButton, percent, periodOf, reportForm } from "./controls.js";
import { el, empty, problem, table } from "./dom.js";

const QUALITY_KEYS = ["source", "campaign", "content", "grade", "score_band"];
const ROI_KEYS = ["source", "campaign", "channel"];
const MODELS = ["linear", "first_touch", "last_touch", "u_shaped", "w_shaped", "time_decay", "markov", "shapley"];

function reasons(byReason) {
  const entries = Object.entries(byReason ?? {});
  return entries.length ? entries.map(([why, n]) => `${why}: ${n}`).join(", ") : "—";
}

function money(value) {
  return value === null || value === undefined ? "—" : String(value);
}

export async function sourcesPage(query, go) {
  const title = el("h1", { id: "sources-title", text: "Sources and quality" });
  const groupBy = QUALITY_KEYS.includes(query.get("group_by")) ? query.get("group_by") : "source";
  const roiBy = ROI_KEYS.includes(groupBy) ? groupBy : "source";
  const model = MODELS.includes(query.get("model")) ? query.get("model") : "linear";
  const form = reportForm(
    "sources",
    query,
    [
      ["group_by", "Group by", QUALITY_KEYS, groupBy],
      ["model", "Credit revenue by", MODELS, model],
    ],
    go,
  );
  const { from, through, start, to } = periodOf(query);
  if (from > through) return el("section", {}, title, form, problem("“From” must not be after “Through”."));
  const quality = new URLSearchParams({ group_by: groupBy, from: start, to });
  const roi = new URLSearchParams({ group_by: roiBy, model, from: start, to });
  const [qualityAnswer, roiAnswer] = await Promise.all([
    ask("reporting", `/v1/reports/quality?${quality}`),
    ask("reporting", `/v1/reports/roi?${roi}`),
  ]);
  const parts = [title, form, el("h2", { text: "Lead quality" })];
  if (!qualityAnswer.ok) parts.push(problem(qualityAnswer.error));
  else if (!qualityAnswer.data.rows.length) parts.push(empty("No leads in this period."));
  else {
    const rows = qualityAnswer.data.rows;
    parts.push(
      csvButton("reporting", `/v1/reports/quality?${quality}`, `quality-${groupBy}-${from}-${through}.csv`),
      barChart({
        id: "quality-chart",
        title: `MQL and SQL rates by ${groupBy}`,
        categories: rows.map((r) => r.key),
        series: [
          { name: "Lead → MQL", values: rows.map((r) => (r.lead_to_mql == null ? null : Number((r.lead_to_mql * 100).toFixed(1)))) },
          { name: "MQL → SQL", values: rows.map((r) => (r.mql_to_sql == null ? null : Number((r.mql_to_sql * 100).toFixed(1)))) },
        ],
        unit: " %",
      }),
      table(
        `Quality by ${groupBy}, leads captured ${from} through ${through}`,
        [
          [groupBy, (r) => r.key],
          ["Leads", (r) => String(r.leads)],
          ["MQLs", (r) => String(r.mqls)],
          ["SQLs", (r) => String(r.sqls)],
          ["Won", (r) => String(r.won)],
          ["Lead → MQL", (r) => percent(r.lead_to_mql)],
          ["MQL → SQL", (r) => percent(r.mql_to_sql)],
          ["SQL → won", (r) => percent(r.sql_to_won)],
          ["Rejected by sales", (r) => `${r.rejected} (${reasons(r.rejected_by_reason)})`],
          ["Lost", (r) => `${r.lost} (${reasons(r.lost_by_reason)})`],
          ["Recycled", (r) => `${r.recycled} (${reasons(r.recycled_by_reason)})`],
        ],
        rows,
      ),
    );
  }
  parts.push(el("h2", { text: `Spend and return by ${roiBy} (${model})` }));
  if (!roiAnswer.ok) parts.push(problem(roiAnswer.error));
  else if (!roiAnswer.data.rows.some((r) => Number(r.spend) > 0)) {
    parts.push(empty("No spend is loaded for this period (PUT /v1/spend, or leadloop reporting spend import)."));
  } else {
    parts.push(
      csvButton("reporting", `/v1/reports/roi?${roi}`, `roi-${roiBy}-${model}-${from}-${through}.csv`),
      table(
        `Spend, cost per stage and return by ${roiBy}, revenue credited by ${model}`,
        [
          [roiBy, (r) => r.key],
          ["Spend", (r) => money(r.spend)],
          ["Leads", (r) => String(r.leads)],
          ["MQLs", (r) => String(r.mqls)],
          ["Cost per lead", (r) => money(r.cost_per_lead)],
          ["Cost per MQL", (r) => money(r.cost_per_mql)],
          ["Customers", (r) => String(r.customers)],
          ["Revenue", (r) => money(r.revenue)],
          ["CAC", (r) => money(r.cac)],
          ["ROI", (r) => (r.roi == null ? "—" : percent(r.roi))],
          ["ROAS", (r) => (r.roas == null ? "—" : `${r.roas}×`)],
        ],
        roiAnswer.data.rows,
      ),
    );
  }
  return el("section", { "aria-labelledby": "sources-title" }, parts);
}
