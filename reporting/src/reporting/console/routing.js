// The routing screen: per team, each rep's share of the round robin against its weight and the
// fairness ledger (skips by reason, credits, reassignments) — routing's GET /v1/routing/fairness —
// and the roster as routing has it (GET /v1/reps): availability and why, hours, caps, open load.
// Actions: switch a rep off or on with a reason (PUT /v1/reps/{id}/availability); change its
// weight and caps (PUT /v1/reps/{id}, the rest of the rep as routing has it).

import { ask, may } from "./api.js";
import { barChart } from "./charts.js";
import { el, empty, problem, table } from "./dom.js";

function percent(share) {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)} %`;
}

function pct(share) {
  return share === null || share === undefined ? null : Number((share * 100).toFixed(1));
}

function skips(byReason) {
  const entries = Object.entries(byReason ?? {});
  return entries.length ? entries.map(([why, n]) => `${why}: ${n}`).join(", ") : "none";
}

export async function routingPage(query, go) {
  const title = el("h1", { id: "routing-title", text: "Routing" });
  const teams = await ask("routing", "/v1/teams");
  if (!teams.ok) return el("section", {}, title, problem(teams.error));
  if (!teams.data.length) return el("section", {}, title, empty("The roster has no teams yet."));
  const team = query.get("team") ?? teams.data[0].id;
  const picker = el(
    "select",
    { id: "team", name: "team" },
    teams.data.map((t) => el("option", { value: t.id, selected: t.id === team, text: `${t.name} (${t.id})` })),
  );
  picker.addEventListener("change", () => go(`#/routing?team=${encodeURIComponent(picker.value)}`));
  const [fairness, reps] = await Promise.all([
    ask("routing", `/v1/routing/fairness?team=${encodeURIComponent(team)}`),
    ask("routing", "/v1/reps"),
  ]);
  const members = reps.ok ? reps.data.filter((rep) => rep.team === team && !rep.deleted) : [];
  const status = el("p", { id: "routing-status", role: "status" });
  return el(
    "section",
    { "aria-labelledby": "routing-title" },
    title,
    el("div", { class: "window" }, el("label", { for: "team", text: "Team" }), picker),
    el("h2", { text: "Share against weight" }),
    !fairness.ok
      ? problem(fairness.error)
      : fairness.data.rotation_assignments === 0
        ? empty("No round-robin assignments in this team yet.")
        : [
          barChart({
            id: "share-against-weight",
            title: `Share of ${team}'s round robin against weight share, per rep`,
            categories: fairness.data.reps.map((r) => r.rep_id),
            series: [
              { name: "Weight share", values: fairness.data.reps.map((r) => pct(r.weight_share)) },
              { name: "Share", values: fairness.data.reps.map((r) => pct(r.share)) },
            ],
            unit: " %",
          }),
          table(
            `The round robin of ${team}: ${fairness.data.rotation_assignments} assignments, largest drift ${percent(fairness.data.max_drift)}`,
            [
              ["Rep", (r) => r.rep_id],
              ["Weight", (r) => `${r.weight}${r.in_rotation ? "" : " (out of rotation)"}`],
              ["Weight share", (r) => percent(r.weight_share)],
              ["Share", (r) => percent(r.share)],
              ["Drift", (r) => `${percent(r.drift)}${r.flagged ? " (flagged)" : ""}`],
              ["Skipped", (r) => skips(r.skips)],
              ["Credits", (r) => String(r.credits)],
              ["Reassigned away / to", (r) => `${r.reassigned_away} / ${r.reassigned_to}`],
            ],
            fairness.data.reps,
          ),
        ],
    el("h2", { text: "Roster" }),
    !reps.ok
      ? problem(reps.error)
      : members.length
        ? table(
            `The reps of ${team}`,
            [
              ["Rep", (r) => `${r.name} (${r.id})`],
              ["Available", (r) => (r.active ? "on" : "off") + (r.availability_reason ? `: ${r.availability_reason}` : "")],
              ["Hours", (r) => (r.hours ? `${r.hours} (${r.timezone})` : `any time (${r.timezone})`)],
              ["Weight", (r) => String(r.weight)],
              ["Caps (day / week / open)", (r) => [r.daily_cap, r.weekly_cap, r.max_open].map((c) => c ?? "—").join(" / ")],
              ["Open leads", (r) => String(r.open_leads)],
              ["Today / this week", (r) => `${r.assigned_today} / ${r.assigned_this_week}`],
              ["Absences", (r) => r.absences.map((a) => `${a.starts}–${a.ends} ${a.reason}`).join("; ") || "none"],
              ...(may("operator")
                ? [["", (r) => [availabilityForm(r, status), may("admin") ? capsForm(r, status) : null]]]
                : []),
            ],
            members,
          )
        : empty("This team has no reps."),
    status,
  );
}

function availabilityForm(rep, status) {
  const id = `why-${rep.id}`;
  const reason = el("input", { id, name: "reason", required: true, maxlength: 200, class: "short" });
  const label = rep.active ? `Take ${rep.id} offline` : `Bring ${rep.id} online`;
  const form = el(
    "form",
    { class: "inline", "aria-label": label },
    el("label", { for: id, text: "Why" }),
    reason,
    el("button", { type: "submit", text: rep.active ? "Take offline" : "Bring online" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await ask("routing", `/v1/reps/${encodeURIComponent(rep.id)}/availability`, {
      method: "PUT",
      body: { active: !rep.active, reason: reason.value.trim() },
    });
    if (answer.ok) {
      window.dispatchEvent(
        new CustomEvent("leadloop:refresh", { detail: `${rep.id} is ${answer.data.active ? "online" : "offline"}.` }),
      );
    } else {
      status.textContent = answer.error;
      status.className = "problem";
    }
  });
  return form;
}

function numberInput(id, label, value, max) {
  return [
    el("label", { for: id, text: label }),
    el("input", { id, name: id, type: "number", min: 0, max, step: 1, value: value ?? "", class: "number" }),
  ];
}

function capsForm(rep, status) {
  const ids = Object.fromEntries(["weight", "daily", "weekly", "open"].map((part) => [part, `${part}-${rep.id}`]));
  const form = el(
    "form",
    { class: "inline", "aria-label": `Weight and caps of ${rep.id}` },
    numberInput(ids.weight, "Weight", rep.weight, 1000),
    numberInput(ids.daily, "Day cap", rep.daily_cap, 1000000),
    numberInput(ids.weekly, "Week cap", rep.weekly_cap, 1000000),
    numberInput(ids.open, "Open cap", rep.max_open, 1000000),
    el("button", { type: "submit", text: "Save" }),
  );
  const value = (id) => {
    const text = form.querySelector(`#${CSS.escape(id)}`).value.trim();
    return text === "" ? null : Number(text);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: rep.name,
      email: rep.email,
      team: rep.team,
      weight: value(ids.weight) ?? rep.weight,
      daily_cap: value(ids.daily),
      weekly_cap: value(ids.weekly),
      max_open: value(ids.open),
      skills: rep.skills,
      timezone: rep.timezone,
      hours: rep.hours,
      active: rep.active,
    };
    const answer = await ask("routing", `/v1/reps/${encodeURIComponent(rep.id)}`, { method: "PUT", body });
    if (answer.ok) {
      window.dispatchEvent(new CustomEvent("leadloop:refresh", { detail: `${rep.id}: weight and caps saved.` }));
    } else {
      status.textContent = answer.error;
      status.className = "problem";
    }
  });
  return el("details", {}, el("summary", { text: "Weight and caps" }), form);
}
