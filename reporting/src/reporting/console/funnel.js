// Funnel and velocity: lead → MQL → SAL → SQL → opportunity → won by any group key for a period,
// with stage rates and hours between stages; cohorts by capture week are the same report grouped
// by week. Reporting's GET /v1/reports/funnel, shown as it answered; CSV of the same.

import { ask } from "./api.js";
import { barChart } from "./charts.js";
import { csvButton, hours, percent, periodOf, reportForm } from "./controls.js";
import { el, empty, problem, table } from "./dom.js";

const GROUPS = ["source", "medium", "channel", "campaign", "content", "form", "rep", "team", "grade", "day", "week", "month"];
const FILTERS = ["", "source", "medium", "channel", "campaign", "content", "form", "rep", "team", "grade"];
const STAGES = [
  ["Leads", "leads"],
  ["MQLs", "mqls"],
  ["SALs", "sals"],
  ["SQLs", "sqls"],
  ["Opportunities", "opportunities"],
  ["Won", "won"],
];

export async function funnelPage(query, go) {
  const title = el("h1", { id: "funnel-title", text: "Funnel and velocity" });
  const groupBy = GROUPS.includes(query.get("group_by")) ? query.get("group_by") : "source";
  const filterKey = FILTERS.includes(query.get("only")) ? query.get("only") : "";
  const filterValue = query.get("equals") ?? "";
  const filter = [
    el("label", { for: "only", text: "Only where" }),
    el("select", { id: "only", name: "only" }, FILTERS.map((key) => el("option", { value: key, selected: key === filterKey, text: key || "(every lead)" }))),
    el("label", { for: "equals", text: "is" }),
    el("input", { id: "equals", name: "equals", value: filterValue, class: "short" }),
  ];
  const form = reportForm("funnel", query, [["group_by", "Group by", GROUPS, groupBy]], go, filter);
  const cohorts = el("a", { href: `#/funnel?${new URLSearchParams({ ...Object.fromEntries(query), group_by: "week" })}`, text: "Cohorts by capture week" });
  const { from, through, start, to } = periodOf(query);
  if (from > through) return el("section", {}, title, form, problem("“From” must not be after “Through”."));
  const params = new URLSearchParams({ group_by: groupBy, from: start, to });
  if (filterKey && filterValue) params.set(filterKey, filterValue);
  const answer = await ask("reporting", `/v1/reports/funnel?${params}`);
  const head = [title, form, el("p", {}, cohorts)];
  if (!answer.ok) return el("section", { "aria-labelledby": "funnel-title" }, head, problem(answer.error));
  const rows = answer.data.rows;
  const scope = `${groupBy}, leads captured ${from} through ${through}${filterKey && filterValue ? `, ${filterKey} = ${filterValue}` : ""}`;
  if (!rows.length) return el("section", { "aria-labelledby": "funnel-title" }, head, empty("No leads in this period."));
  return el(
    "section",
    { "aria-labelledby": "funnel-title" },
    head,
    csvButton("reporting", `/v1/reports/funnel?${params}`, `funnel-${groupBy}-${from}-${through}.csv`),
    barChart({
      id: "funnel-chart",
      title: `The funnel by ${scope}`,
      categories: rows.map((r) => r.key),
      series: STAGES.map(([name, key]) => ({ name, values: rows.map((r) => r[key]) })),
    }),
    el("h2", { text: "Stage rates" }),
    table(
      `Stage rates by ${scope}`,
      [
        [groupBy, (r) => r.key],
        ["Lead → MQL", (r) => percent(r.rates.lead_to_mql)],
        ["MQL → SAL", (r) => percent(r.rates.mql_to_sal)],
        ["SAL → SQL", (r) => percent(r.rates.sal_to_sql)],
        ["SQL → opportunity", (r) => percent(r.rates.sql_to_opportunity)],
        ["Opportunity → won", (r) => percent(r.rates.opportunity_to_won)],
        ["Lead → won", (r) => percent(r.rates.lead_to_won)],
        ["Lost", (r) => String(r.lost)],
        ["Rejected", (r) => String(r.rejected)],
        ["Recycled", (r) => String(r.recycled)],
        ["Revenue", (r) => String(r.revenue)],
      ],
      rows,
    ),
    el("h2", { text: "Velocity" }),
    table(
      `Hours between stages (median, p90) by ${scope}`,
      [
        [groupBy, (r) => r.key],
        ["Capture → MQL", (r) => hours(r.velocity_hours.capture_to_mql)],
        ["MQL → SAL", (r) => hours(r.velocity_hours.mql_to_sal)],
        ["SAL → SQL", (r) => hours(r.velocity_hours.sal_to_sql)],
        ["SQL → opportunity", (r) => hours(r.velocity_hours.sql_to_opportunity)],
        ["Opportunity → won", (r) => hours(r.velocity_hours.opportunity_to_won)],
        ["Sales cycle", (r) => hours(r.velocity_hours.sales_cycle)],
      ],
      rows,
    ),
  );
}
