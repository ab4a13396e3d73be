// The lead page, the "why" page: one person's story on one timeline, from each service's own
// answer — capture's touches, scoring's changes with the rules that fired, routing's decisions
// with every candidate and why it was passed over, sla-monitor's clocks and sales' steps.

import { ask, may } from "./api.js";
import { el, empty, problem, table, time, when } from "./dom.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function leadLookup(go) {
  const input = el("input", { id: "lead-id", name: "lead", required: true, autocomplete: "off", spellcheck: "false" });
  const form = el(
    "form",
    { class: "lookup", "aria-label": "Open a lead" },
    el("label", { for: "lead-id", text: "Lead id" }),
    input,
    el("button", { type: "submit", text: "Open" }),
  );
  const note = el("p", { class: "hint", text: "A lead's id, as capture answered it (a UUID)." });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (!UUID.test(id)) {
      note.textContent = "Not a lead id: a UUID like 0b1c9a3e-….";
      note.className = "problem";
      return;
    }
    go(`#/leads/${id.toLowerCase()}`);
  });
  return el("section", { "aria-labelledby": "lookup-title" }, el("h1", { id: "lookup-title", text: "Lead" }), form, note);
}

// Steering, from the page that explains: reassign with a reason (routing records it and says it
// on lead.qualified), erase the person (capture; every service forgets them). Each reloads the
// page from the services' answers; a refusal is shown in the service's own words.
async function actions(leadId, person, routing) {
  const open = may("operator") && routing.ok && ["queued", "assigned"].includes(routing.data.status);
  const erasable = may("admin") && person.ok && !person.data.erased_at;
  if (!open && !erasable) return null;
  const status = el("p", { id: "action-status", role: "status" });
  const done = (message) => {
    status.textContent = message;
    status.className = "";
    window.dispatchEvent(new CustomEvent("leadloop:refresh", { detail: message }));
  };
  const failed = (answer) => {
    status.textContent = answer.error;
    status.className = "problem";
  };
  const parts = [];
  if (open) {
    const reps = await ask("routing", "/v1/reps");
    const choice = el(
      "select",
      { id: "reassign-to", name: "to" },
      el("option", { value: "", text: "the next eligible rep of the team" }),
      (reps.ok ? reps.data : [])
        .filter((rep) => rep.id !== routing.data.owner)
        .map((rep) => el("option", { value: rep.id, text: `${rep.name} (${rep.id}, ${rep.team})` })),
    );
    const reason = el("input", { id: "reassign-reason", name: "reason", required: true, maxlength: 500 });
    const form = el(
      "form",
      { class: "action", "aria-label": "Reassign" },
      el("label", { for: "reassign-to", text: "Reassign to" }),
      choice,
      el("label", { for: "reassign-reason", text: "Reason" }),
      reason,
      el("button", { type: "submit", text: "Reassign" }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { reason: reason.value.trim(), ...(choice.value ? { to: choice.value } : {}) };
      const answer = await ask("routing", `/v1/leads/${leadId}/reassign`, { method: "POST", body });
      if (answer.ok) done(`Reassigned to ${answer.data.owner ?? "the team's queue"}.`);
      else failed(answer);
    });
    parts.push(form);
  }
  if (erasable) {
    const confirm = el("button", { type: "button", class: "danger", hidden: true, text: "Erase for good" });
    const ask_ = el("button", { type: "button", class: "danger", text: "Erase this person…" });
    const warning = el("span", { class: "hint", hidden: true, text: "Their personal data leaves every service; this cannot be undone." });
    ask_.addEventListener("click", () => {
      ask_.hidden = true;
      warning.hidden = false;
      confirm.hidden = false;
      confirm.focus();
    });
    confirm.addEventListener("click", async () => {
      const answer = await ask("capture", "/v1/erasures", { method: "POST", body: { lead_id: leadId } });
      if (answer.ok) done("Erased: every service forgets this person.");
      else failed(answer);
    });
    parts.push(el("div", { class: "action" }, ask_, warning, confirm));
  }
  return el("section", { class: "actions", "aria-labelledby": "actions-title" }, el("h2", { id: "actions-title", text: "Actions" }), parts, status);
}

export async function leadPage(leadId) {
  if (!UUID.test(leadId)) return el("section", {}, el("h1", { text: "Lead" }), problem("Not a lead id."));
  const [person, score, routing, sla, sent] = await Promise.all([
    ask("capture", `/v1/leads/${leadId}`),
    ask("scoring", `/v1/leads/${leadId}/score`),
    ask("routing", `/v1/leads/${leadId}/routing`),
    ask("sla-monitor", `/v1/leads/${leadId}/sla`),
    ask("sla-monitor", `/v1/leads/${leadId}/deliveries`),
  ]);
  const problems = [person, score, routing, sla, sent]
    .filter((answer) => !answer.ok && answer.status !== 404)
    .map((answer) => problem(answer.error));
  const events = [
    ...(person.ok ? touches(person.data) : []),
    ...(score.ok ? scoreChanges(score.data) : []),
    ...(routing.ok ? decisions(routing.data) : []),
    ...(sla.ok ? slaEntries(sla.data) : []),
    ...(sent.ok ? deliveries(sent.data) : []),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order));
  return el(
    "section",
    { class: "lead", "aria-labelledby": "lead-title" },
    heading(leadId, person),
    problems,
    summary(score, routing, sla),
    await actions(leadId, person, routing),
    el("h2", { text: "Timeline" }),
    events.length
      ? el("ol", { class: "timeline", "aria-label": "What happened to this lead, oldest first" }, events.map(entry))
      : empty("Nothing is known of this lead yet."),
  );
}

function heading(leadId, person) {
  if (!person.ok) {
    const why = person.status === 404 ? "capture knows no lead with this id" : person.error;
    return el("header", {}, el("h1", { id: "lead-title", text: `Lead ${leadId}` }), el("p", { class: "hint", text: why }));
  }
  const p = person.data;
  if (p.erased_at) {
    return el("header", {}, el("h1", { id: "lead-title", text: "Erased lead" }), el("p", { class: "hint" }, "Erased ", time(p.erased_at), "; only anonymous facts remain."));
  }
  const name = [p.first_name, p.last_name].filter(Boolean).join(" ") || p.email || p.phone || "Unnamed lead";
  const role = [p.job_title, p.company].filter(Boolean).join(" at ");
  return el(
    "header",
    {},
    el("h1", { id: "lead-title", text: name }),
    role ? el("p", { class: "role", text: role }) : null,
    el("dl", { class: "facts" }, fact("Email", p.email), fact("Phone", p.phone), fact("Country", p.country), fact("Lead id", leadId)),
  );
}

function fact(name, value) {
  return value ? [el("dt", { text: name }), el("dd", { text: value })] : null;
}

function summary(score, routing, sla) {
  const items = [];
  if (score.ok) items.push(fact("Score", `${score.data.score} (${score.data.grade}), model ${score.data.model_version}`));
  if (routing.ok) {
    items.push(fact("Status", routing.data.status));
    items.push(fact("Owner", routing.data.owner ?? (routing.data.team ? `queued in ${routing.data.team}` : "none")));
  }
  if (sla.ok && sla.data.stage) items.push(fact("Sales stage", sla.data.stage));
  return items.length ? el("dl", { class: "facts summary", "aria-label": "Where the lead stands" }, items) : null;
}

function touches(lead) {
  return (lead.touches ?? []).map((touch, index) => ({
    at: touch.occurred_at,
    order: 0 + index / 1000,
    kind: "touch",
    title: `${touch.type.replaceAll("_", " ")} via ${touch.via}`,
    body: el(
      "dl",
      { class: "facts" },
      fact("Source", touch.source),
      fact("Medium", touch.medium),
      fact("Campaign", touch.campaign),
      fact("Content", touch.content),
      fact("Term", touch.term),
      fact("Form", touch.form_id),
    ),
  }));
}

function scoreChanges(score) {
  return (score.history ?? []).map((change, index) => ({
    at: change.scored_at,
    order: 1 + index / 1000,
    kind: "score",
    title: `Scored ${change.score} (${change.grade}, ${change.engagement_level})${change.qualified ? ", qualified" : ""}`,
    body: el(
      "div",
      {},
      el("p", { class: "hint", text: `Model ${change.model_version}; fit ${change.fit_score}, engagement ${change.engagement_score}; because of ${change.cause}.` }),
      (change.reasons ?? []).length
        ? table("Rules that fired", [["Rule", (r) => r.description ?? r.rule_id], ["Points", (r) => String(r.points)]], change.reasons)
        : null,
    ),
  }));
}

// routing's kinds of decision (assign | reassign | queue_turn | manual), as a person says them
const DECIDED = {
  assign: "Assigned to",
  reassign: "Reassigned to",
  queue_turn: "Assigned from the queue to",
  manual: "Reassigned by hand to",
};

function decisions(routing) {
  return (routing.assignments ?? []).map((decision, index) => ({
    at: decision.assigned_at,
    order: 2 + index / 1000,
    kind: "routing",
    title: decision.owner
      ? `${DECIDED[decision.kind] ?? "Assigned to"} ${decision.owner}${decision.team ? ` (${decision.team})` : ""}`
      : `Queued${decision.team ? ` in ${decision.team}` : ""}`,
    body: el(
      "div",
      {},
      el("p", { class: "reason", text: decision.reason }),
      el(
        "p",
        { class: "hint", text: `Rule ${decision.rule}${decision.method ? `, ${decision.method}` : ""}${decision.policy_version ? `, policy version ${decision.policy_version}` : ""}${decision.tie_break ? `; tie-break: ${decision.tie_break}` : ""}` },
      ),
      (decision.candidates ?? []).length
        ? table(
            "Candidates",
            [
              ["Rep", (c) => c.rep_id],
              ["Eligible", (c) => (c.eligible ? "yes" : "no")],
              ["Why not", (c) => c.why],
              ["Detail", (c) => c.detail],
            ],
            decision.candidates,
          )
        : null,
    ),
  }));
}

function slaEntries(sla) {
  const clocks = (sla.clocks ?? []).map((clock, index) => ({
    at: clock.started_at,
    order: 3 + index / 1000,
    kind: "sla",
    title: `SLA ${clock.clock} clock for ${clock.owner}: ${clock.status}`,
    body: el(
      "dl",
      { class: "facts" },
      fact("Due", when(clock.due_at)),
      fact("Target", clock.target_minutes == null ? null : `${clock.target_minutes} business minutes`),
      fact("Took", clock.business_minutes == null ? null : `${clock.business_minutes} business minutes`),
      fact("Met by", clock.met_by),
      fact("Closed", clock.closed_reason),
      fact("Escalation", clock.escalation),
    ),
  }));
  const steps = (sla.steps ?? []).map((step, index) => ({
    at: step.occurred_at ?? step.reported_at,
    order: 4 + index / 1000,
    kind: "sales",
    title: `Sales: ${step.stage}${step.owner ? ` by ${step.owner}` : ""}`,
    body: el(
      "dl",
      { class: "facts" },
      fact("Reason", step.reason),
      fact("Detail", step.detail),
      fact("Channel", step.channel),
      fact("Amount", step.amount == null ? null : `${step.amount} ${step.currency ?? ""}`.trim()),
      fact("Reported via", step.via),
    ),
  }));
  return [...clocks, ...steps];
}

function deliveries(sent) {
  return sent.map((delivery, index) => ({
    at: delivery.delivered_at ?? delivery.last_attempt_at ?? delivery.occurred_at,
    order: 5 + index / 1000,
    kind: "delivery",
    title: `${delivery.event_type} to ${delivery.kind}${delivery.description ? ` "${delivery.description}"` : ""}: ${delivery.status}`,
    body: el(
      "dl",
      { class: "facts" },
      fact("webhook-id", delivery.event_id),
      fact("Attempts", String(delivery.attempts)),
      fact("Answer", delivery.last_status == null ? null : `${delivery.last_status} in ${delivery.last_latency_ms} ms`),
      fact("Last error", delivery.last_error),
      fact("Next attempt", delivery.status === "pending" ? when(delivery.next_attempt_at) : null),
      fact("Record in the tool", delivery.external_id),
    ),
  }));
}

function entry(event) {
  return el(
    "li",
    { class: `event ${event.kind}` },
    el("div", { class: "when" }, time(event.at)),
    el("div", { class: "what" }, el("h3", {}, el("span", { class: "kind", text: event.kind }), " ", event.title), event.body),
  );
}
