// The SLA screen: clocks about to breach with live countdowns, breaches waiting for a manager
// (acknowledge with a note, or reassign now), met and breached per team and rep for a period, and
// breaches by weekday and hour as a heat map — sla-monitor's GET /v1/sla/breaching,
// /v1/sla/compliance and /v1/sla/breaches/heatmap; reassigning is routing's own API.

import { ask, may } from "./api.js";
import { barChart } from "./charts.js";
import { periodOf, reportForm } from "./controls.js";
import { el, empty, problem, table, time } from "./dom.js";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
let ticking = null; // one countdown timer for the screen on show

function countdown(seconds) {
  const sign = seconds < 0 ? "overdue " : "";
  const left = Math.abs(Math.trunc(seconds));
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  return `${sign}${h ? `${h} h ` : ""}${h || m ? `${m} min ` : ""}${s} s`;
}

function refreshed(message) {
  window.dispatchEvent(new CustomEvent("leadloop:refresh", { detail: message }));
}

function failure(status) {
  return (answer) => {
    status.textContent = answer.error;
    status.className = "problem";
  };
}

function reassignButton(clock, status) {
  const button = el("button", { type: "button", text: "Reassign now", "aria-label": `Reassign now: lead ${clock.lead_id}` });
  button.addEventListener("click", async () => {
    const reason = `SLA: ${clock.clock} clock ${clock.status === "breached" ? "breached" : "about to breach"} (due ${clock.due_at})`;
    const answer = await ask("routing", `/v1/leads/${clock.lead_id}/reassign`, { method: "POST", body: { reason } });
    if (answer.ok) refreshed(`Lead ${clock.lead_id} reassigned to ${answer.data.owner ?? "its team's queue"}.`);
    else failure(status)(answer);
  });
  return button;
}

function acknowledgeForm(clock, status) {
  const id = `note-${clock.id}`;
  const note = el("input", { id, name: "note", required: true, maxlength: 1000, class: "short" });
  const form = el(
    "form",
    { class: "inline", "aria-label": `Acknowledge the breach of lead ${clock.lead_id}` },
    el("label", { for: id, text: "Note" }),
    note,
    el("button", { type: "submit", text: "Acknowledge" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await ask("sla-monitor", `/v1/sla/breaches/${clock.id}/acknowledge`, {
      method: "POST",
      body: { note: note.value },
    });
    if (answer.ok) refreshed(`Breach of lead ${clock.lead_id} acknowledged.`);
    else failure(status)(answer);
  });
  return form;
}

function leadLink(clock) {
  return el("a", { href: `#/leads/${clock.lead_id}`, text: clock.lead_id.slice(0, 8) });
}

// The heat map: a table whose cells are shaded by their count — the chart and its table in one,
// each cell's number written in it.
function heatmap(cells, timezone) {
  const counts = new Map(cells.map((c) => [`${c.weekday}-${c.hour}`, c.breaches]));
  const most = Math.max(1, ...cells.map((c) => c.breaches));
  const hours = [...Array(24).keys()];
  return el(
    "table",
    { class: "heatmap" },
    el("caption", { text: `Breaches by weekday and hour they fell due (${timezone})` }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Day" }), hours.map((h) => el("th", { scope: "col", text: String(h).padStart(2, "0") })))),
    el(
      "tbody",
      {},
      WEEKDAYS.map((day, weekday) =>
        el(
          "tr",
          {},
          el("th", { scope: "row", text: day }),
          hours.map((hour) => {
            const n = counts.get(`${weekday}-${hour}`) ?? 0;
            const strength = n / most;
            return el("td", {
              class: strength > 0.55 ? "hot" : "",
              style: n ? `background: rgba(164, 14, 38, ${(0.12 + 0.88 * strength).toFixed(2)})` : "",
              "aria-label": `${day} ${String(hour).padStart(2, "0")}:00, ${n} breach${n === 1 ? "" : "es"}`,
              text: n ? String(n) : "",
            });
          }),
        ),
      ),
    ),
  );
}

export async function slaPage(query, go) {
  if (ticking) clearInterval(ticking);
  const title = el("h1", { id: "sla-title", text: "SLA" });
  const { from, through, start, to } = periodOf(query);
  const team = query.get("team") ?? "";
  const zone = query.get("tz") ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
  const form = reportForm("sla", query, [], go, [
    el("label", { for: "sla-team", text: "Team" }),
    el("input", { id: "sla-team", name: "team", value: team, class: "short", placeholder: "every team" }),
    el("label", { for: "tz", text: "Time zone" }),
    el("input", { id: "tz", name: "tz", value: zone, class: "short" }),
  ]);
  if (from > through) return el("section", {}, title, form, problem("“From” must not be after “Through”."));
  const period = new URLSearchParams({ from: start, to });
  if (team) period.set("team", team);
  const now = new URLSearchParams({ hours: "24", limit: "50" });
  if (team) now.set("team", team);
  const heat = new URLSearchParams(period);
  heat.set("timezone", zone);
  const [breaching, compliance, heatAnswer] = await Promise.all([
    ask("sla-monitor", `/v1/sla/breaching?${now}`),
    ask("sla-monitor", `/v1/sla/compliance?${period}`),
    ask("sla-monitor", `/v1/sla/breaches/heatmap?${heat}`),
  ]);
  const status = el("p", { id: "action-status", role: "status" });
  const steer = may("operator");
  const sections = [];

  sections.push(el("h2", { text: "Breaching now" }));
  if (!breaching.ok) sections.push(problem(breaching.error));
  else {
    const shownAt = Date.now();
    const counters = [];
    const left = (clock) => {
      const cell = el("span", { class: "countdown", "data-due": clock.due_at, text: countdown(clock.seconds_left) });
      counters.push([cell, clock.seconds_left]);
      return cell;
    };
    sections.push(
      breaching.data.due.length
        ? table(
            "Running clocks, the soonest due first (at most 50)",
            [
              ["Lead", leadLink],
              ["Clock", (c) => c.clock],
              ["Owner", (c) => c.owner],
              ["Team", (c) => c.team],
              ["Due", (c) => time(c.due_at)],
              ["Left", left],
              ["On breach", (c) => c.escalation],
              ...(steer ? [["", (c) => reassignButton(c, status)]] : []),
            ],
            breaching.data.due,
          )
        : empty("No clock is running."),
    );
    // count down from sla-monitor's own clock, not the browser's
    ticking = setInterval(() => {
      if (!location.hash.startsWith("#/sla")) return clearInterval(ticking);
      const elapsed = (Date.now() - shownAt) / 1000;
      for (const [cell, seconds] of counters) cell.textContent = countdown(seconds - elapsed);
    }, 1000);
    sections.push(el("h2", { text: "Breached in the last 24 hours, waiting for a manager" }));
    sections.push(
      breaching.data.breached.length
        ? table(
            "Breaches not yet acknowledged, newest first",
            [
              ["Lead", leadLink],
              ["Clock", (c) => c.clock],
              ["Owner", (c) => c.owner],
              ["Team", (c) => c.team],
              ["Due", (c) => time(c.due_at)],
              ["Breached", (c) => time(c.breached_at)],
              ["Escalation", (c) => c.escalation],
              ...(steer ? [["", (c) => [acknowledgeForm(c, status), reassignButton(c, status)]]] : []),
            ],
            breaching.data.breached,
          )
        : empty("No breach is waiting for a manager."),
    );
  }
  sections.push(status);

  sections.push(el("h2", { text: "Met and breached" }));
  if (!compliance.ok) sections.push(problem(compliance.error));
  else {
    const rows = compliance.data.rows.filter((r) => r.level !== "all");
    const reps = rows.filter((r) => r.level === "rep");
    if (!rows.length) sections.push(empty("No clock closed in this period."));
    else {
      if (reps.length) {
        const byRep = new Map();
        for (const r of reps) {
          const seen = byRep.get(r.rep) ?? { met: 0, breached: 0 };
          byRep.set(r.rep, { met: seen.met + r.met, breached: seen.breached + r.breached });
        }
        sections.push(
          barChart({
            id: "sla-by-rep",
            title: "Clocks met and breached per rep, every clock",
            categories: [...byRep.keys()],
            series: [
              { name: "Met", values: [...byRep.values()].map((v) => v.met) },
              { name: "Breached", values: [...byRep.values()].map((v) => v.breached) },
            ],
            stacked: true,
          }),
        );
      }
      sections.push(
        table(
          `Per clock, team and rep, ${from} through ${through}`,
          [
            ["Clock", (r) => r.clock],
            ["Team", (r) => r.team],
            ["Rep", (r) => r.rep ?? "(team)"],
            ["Met", (r) => String(r.met)],
            ["Breached", (r) => String(r.breached)],
            ["Met share", (r) => (r.met_share == null ? "—" : `${(r.met_share * 100).toFixed(1)} %`)],
            ["Median (business min)", (r) => (r.median_business_minutes == null ? "—" : String(r.median_business_minutes))],
            ["p90 (business min)", (r) => (r.p90_business_minutes == null ? "—" : String(r.p90_business_minutes))],
          ],
          rows,
        ),
      );
    }
  }

  sections.push(el("h2", { text: "When breaches happen" }));
  if (!heatAnswer.ok) sections.push(problem(heatAnswer.error));
  else if (!heatAnswer.data.total) sections.push(empty("No breach in this period."));
  else sections.push(el("p", { class: "hint", text: `${heatAnswer.data.total} breaches in all.` }), heatmap(heatAnswer.data.cells, heatAnswer.data.timezone));

  return el("section", { "aria-labelledby": "sla-title" }, title, form, sections);
}
