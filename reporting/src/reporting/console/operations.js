// Operations: each service's own answer (GET /v1/operations at each) — readiness and its checks,
// consumer lag per group and topic, dead letters waiting per topic with a replay (admin), the
// outbox backlog and parked rows, and what background workers set aside. A service that does not
// answer is named, and the others still show.

import { ask, may } from "./api.js";
import { el, empty, problem, table } from "./dom.js";

const SERVICES = ["capture", "scoring", "routing", "sla-monitor", "reporting"];

function checks(found) {
  return Object.entries(found)
    .map(([name, ok]) => `${name} ${ok === true ? "ok" : ok === false ? "NOT ready" : String(ok)}`)
    .join(", ");
}

function replayButton(service, topic, status) {
  const button = el("button", { type: "button", text: "Replay", "aria-label": `Replay the dead letters of ${topic} at ${service}` });
  button.addEventListener("click", async () => {
    button.disabled = true;
    const answer = await ask(service, `/v1/operations/dead-letters/${encodeURIComponent(topic)}/replay`, { method: "POST" });
    if (answer.ok) {
      window.dispatchEvent(new CustomEvent("leadloop:refresh", { detail: `${answer.data.replayed} dead letters of ${topic} replayed.` }));
    } else {
      button.disabled = false;
      status.textContent = answer.error;
      status.className = "problem";
    }
  });
  return button;
}

function serviceCard(service, answer, status) {
  const heading = el("h2", { id: `ops-${service}`, text: service });
  if (!answer.ok) return el("section", { class: "card", "aria-labelledby": `ops-${service}` }, heading, problem(answer.error));
  const found = answer.data;
  const waiting = found.dead_letters.filter((d) => d.waiting > 0);
  return el(
    "section",
    { class: "card", "aria-labelledby": `ops-${service}` },
    heading,
    el("p", { class: found.ready ? "" : "problem", text: `${found.ready ? "Ready" : "Not ready"}: ${checks(found.checks)}` }),
    found.kafka_error ? problem(found.kafka_error) : null,
    found.consumers.length
      ? table(
          `Consumer lag at ${service}`,
          [
            ["Group", (c) => c.group],
            ["Topic", (c) => c.topic],
            ["Partitions", (c) => String(c.partitions)],
            ["Lag", (c) => String(c.lag)],
          ],
          found.consumers,
        )
      : el("p", { class: "hint", text: "Consumes no topic." }),
    waiting.length
      ? table(
          `Dead letters waiting at ${service}`,
          [
            ["Topic", (d) => `${d.topic}.dlq`],
            ["Waiting", (d) => String(d.waiting)],
            ...(may("admin") ? [["", (d) => replayButton(service, d.topic, status)]] : []),
          ],
          waiting,
        )
      : found.dead_letters.length
        ? el("p", { class: "hint", text: "No dead letters waiting." })
        : null,
    el(
      "p",
      {},
      `Outbox: ${found.outbox.pending} waiting to be published`,
      found.outbox.oldest_pending_seconds == null ? "" : ` (oldest ${found.outbox.oldest_pending_seconds} s)`,
      `, ${found.outbox.parked} parked.`,
    ),
    found.quarantine.length
      ? table(
          `Set aside by ${service}'s workers`,
          [
            ["Worker", (q) => q.worker],
            ["Items", (q) => String(q.items)],
            ["Since", (q) => q.since],
          ],
          found.quarantine,
        )
      : el("p", { class: "hint", text: "Nothing set aside." }),
  );
}

export async function operationsPage() {
  const title = el("h1", { id: "operations-title", text: "Operations" });
  const answers = await Promise.all(SERVICES.map((service) => ask(service, "/v1/operations")));
  const status = el("p", { id: "action-status", role: "status" });
  const down = SERVICES.filter((_, i) => !answers[i].ok);
  return el(
    "section",
    { "aria-labelledby": "operations-title" },
    title,
    down.length ? problem(`Not answering as it should: ${down.join(", ")}.`) : el("p", { class: "hint", text: "Every service answered." }),
    status,
    el("div", { class: "cards" }, SERVICES.map((service, i) => serviceCard(service, answers[i], status))),
  );
}
