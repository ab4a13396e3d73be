// Policies: scoring models, routing policies and SLA policies — each kind's versions (which is
// active), the activation log with who did it and when, a diff between two versions, a draft
// edited and checked with each problem shown at the line it names, the what-if simulation of a
// version, and activating or rolling back (admin). Every answer is the owning service's own.

import { ask, may, signedInKey, services } from "./api.js";
import { periodOf, windowOf } from "./controls.js";
import { el, empty, problem, table, when } from "./dom.js";

const KINDS = {
  scoring: { service: "scoring", prefix: "/v1/scoring/models", noun: "scoring model" },
  routing: { service: "routing", prefix: "/v1/routing/policies", noun: "routing policy" },
  sla: { service: "sla-monitor", prefix: "/v1/sla/policies", noun: "SLA policy" },
};

// The lines of `before` and `after` as [mark, text]: "−" only before, "+" only after, " " both
// (the longest common subsequence of lines; policies are short).
export function lineDiff(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  const common = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const lines = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      lines.push([" ", a[i]]);
      i++;
      j++;
    } else if (common[i + 1][j] >= common[i][j + 1]) lines.push(["−", a[i++]]);
    else lines.push(["+", b[j++]]);
  }
  while (i < a.length) lines.push(["−", a[i++]]);
  while (j < b.length) lines.push(["+", b[j++]]);
  return lines;
}

// The document as numbered lines, each problem the service named shown under its line (a
// problem without a line — the whole document — goes first).
function annotated(text, problems) {
  const byLine = new Map();
  const loose = [];
  for (const p of problems) {
    if (p.line) byLine.set(p.line, [...(byLine.get(p.line) ?? []), p]);
    else loose.push(p);
  }
  return el(
    "div",
    { id: "problems", role: "region", "aria-label": "What is wrong, at its line" },
    loose.map((p) => problem(`${p.path}: ${p.message}`)),
    el(
      "ol",
      { class: "source" },
      text.split("\n").map((line, index) =>
        el(
          "li",
          { class: byLine.has(index + 1) ? "wrong" : "", "data-line": index + 1 },
          el("code", { text: line || " " }),
          (byLine.get(index + 1) ?? []).map((p) => el("p", { class: "problem", role: "note", text: `line ${index + 1}: ${p.path}: ${p.message}` })),
        ),
      ),
    ),
  );
}

// A policy document is posted as TOML text: `ask` sends JSON, so this asks directly.
async function postDocument(service, path, text) {
  const base = (await services())[service];
  try {
    const answer = await fetch(base + path, {
      method: "POST",
      headers: { "X-API-Key": signedInKey() ?? "", "Content-Type": "application/toml" },
      body: text,
      credentials: "omit",
    });
    return { ok: answer.ok, status: answer.status, data: await answer.json().catch(() => null) };
  } catch {
    return { ok: false, status: 0, data: null, error: `${service} is not answering` };
  }
}

// A simulation's answer as the service gave it: its plain values as facts, each list of records as
// a table.
function rendered(value, caption) {
  if (Array.isArray(value)) {
    if (!value.length) return empty("None.");
    if (value.every((row) => row && typeof row === "object" && !Array.isArray(row))) {
      const columns = [...new Set(value.flatMap((row) => Object.keys(row)))];
      return table(caption, columns.map((c) => [c, (row) => plain(row[c])]), value);
    }
    return el("p", { text: value.map(plain).join(", ") });
  }
  if (value && typeof value === "object") {
    const facts = Object.entries(value).filter(([, v]) => v === null || typeof v !== "object");
    const nested = Object.entries(value).filter(([, v]) => v !== null && typeof v === "object");
    return el(
      "div",
      {},
      facts.length ? el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: plain(v) })])) : null,
      nested.map(([k, v]) => el("div", {}, el("h3", { text: k }), rendered(v, `${caption}: ${k}`))),
    );
  }
  return el("p", { text: plain(value) });
}

function plain(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export async function policiesPage(query, go) {
  const kindName = KINDS[query.get("kind")] ? query.get("kind") : "routing";
  const kind = KINDS[kindName];
  const title = el("h1", { id: "policies-title", text: "Policies" });
  const tabs = el(
    "nav",
    { "aria-label": "Kinds of policy", class: "tabs" },
    Object.entries(KINDS).map(([name, k]) =>
      el("a", { href: `#/policies?kind=${name}`, "aria-current": name === kindName ? "page" : null, text: k.noun }),
    ),
  );
  const [versions, activations] = await Promise.all([
    ask(kind.service, kind.prefix),
    ask(kind.service, `${kind.prefix}/activations`),
  ]);
  if (!versions.ok) return el("section", { "aria-labelledby": "policies-title" }, title, tabs, problem(versions.error));
  const active = versions.data.find((v) => v.active);
  const chosen = Number(query.get("version") ?? active?.version ?? versions.data.at(-1)?.version);
  const shown = await ask(kind.service, `${kind.prefix}/${chosen}`);
  if (!shown.ok) return el("section", { "aria-labelledby": "policies-title" }, title, tabs, problem(shown.error));
  const link = (extra) => `#/policies?${new URLSearchParams({ kind: kindName, version: chosen, ...extra })}`;
  const status = el("p", { id: "action-status", role: "status" });
  const failed = (answer) => {
    status.textContent = answer.error ?? `${kind.service}: ${answer.status}`;
    status.className = "problem";
  };
  const parts = [
    title,
    tabs,
    el("h2", { text: `Versions of the ${kind.noun}` }),
    table(
      `Every version of the ${kind.noun}, oldest first`,
      [
        ["Version", (v) => el("a", { href: `#/policies?kind=${kindName}&version=${v.version}`, text: String(v.version) })],
        ["Active", (v) => (v.active ? "active" : "")],
        ["Note", (v) => v.note ?? ""],
        ["Saved", (v) => when(v.created_at)],
        ["By", (v) => v.created_by ?? "(shipped)"],
      ],
      versions.data,
    ),
    el("h2", { text: "Activation log" }),
    activations.ok
      ? activations.data.length
        ? table(
            "Activations, newest first",
            [
              ["Version", (a) => String(a.version)],
              ["Action", (a) => a.action],
              ["By", (a) => a.by ?? "—"],
              ["When", (a) => when(a.activated_at)],
              ["Note", (a) => a.note ?? ""],
            ],
            activations.data,
          )
        : empty("Nothing was activated yet: the shipped version is in force.")
      : problem(activations.error),
    el("h2", { id: "version-title", text: `Version ${chosen}${shown.data.active ? " (active)" : ""}` }),
  ];

  // the diff against another version
  const others = versions.data.filter((v) => v.version !== chosen);
  const against = Number(query.get("against") ?? 0);
  const compare = el(
    "select",
    { id: "against", name: "against" },
    el("option", { value: "", text: "(choose a version)" }),
    others.map((v) => el("option", { value: v.version, selected: v.version === against, text: `version ${v.version}` })),
  );
  compare.addEventListener("change", () => go(link(compare.value ? { against: compare.value } : {})));
  parts.push(el("div", { class: "window" }, el("label", { for: "against", text: "Compare with" }), compare));
  if (against && others.some((v) => v.version === against)) {
    const base = await ask(kind.service, `${kind.prefix}/${against}`);
    if (!base.ok) parts.push(problem(base.error));
    else {
      const lines = lineDiff(base.data.source, shown.data.source);
      const changed = lines.filter(([mark]) => mark !== " ").length;
      parts.push(
        el("p", { class: "hint", text: changed ? `${changed} line(s) differ from version ${against} (− in ${against} only, + in ${chosen} only).` : `No difference from version ${against}.` }),
        el(
          "pre",
          { class: "diff", "aria-label": `Version ${against} against version ${chosen}` },
          lines.map(([mark, line]) => el("span", { class: mark === "+" ? "added" : mark === "−" ? "removed" : "", text: `${mark} ${line}\n` })),
        ),
      );
    }
  }

  // the draft editor
  const editor = el("textarea", { id: "draft", name: "draft", rows: Math.min(30, shown.data.source.split("\n").length + 2), spellcheck: "false" });
  editor.value = shown.data.source;
  const feedback = el("div", { id: "draft-feedback" });
  const check = el("button", { type: "button", text: "Check" });
  check.addEventListener("click", async () => {
    const answer = await postDocument(kind.service, `${kind.prefix}/validate`, editor.value);
    if (answer.ok && answer.data?.valid) feedback.replaceChildren(el("p", { role: "status", text: "The draft is valid." }));
    else if (answer.status === 422 || answer.data?.problems) feedback.replaceChildren(annotated(editor.value, answer.data.problems));
    else feedback.replaceChildren(problem(answer.error ?? `${kind.service}: ${answer.status}`));
  });
  const note = el("input", { id: "draft-note", name: "note", maxlength: 500, class: "short" });
  const save = el("button", { type: "button", text: "Save draft" });
  save.addEventListener("click", async () => {
    const path = `${kind.prefix}${note.value.trim() ? `?note=${encodeURIComponent(note.value.trim())}` : ""}`;
    const answer = await postDocument(kind.service, path, editor.value);
    if (answer.ok) go(`#/policies?kind=${kindName}&version=${answer.data.version}`);
    else if (answer.data?.problems) feedback.replaceChildren(annotated(editor.value, answer.data.problems));
    else feedback.replaceChildren(problem(answer.error ?? `${kind.service}: ${answer.status}`));
  });
  parts.push(
    el("h3", { text: "Edit as a new draft" }),
    el("label", { for: "draft", text: `Document (TOML), starting from version ${chosen}` }),
    editor,
    el("div", { class: "window" }, check, may("admin") ? [el("label", { for: "draft-note", text: "Why" }), note, save] : null),
    feedback,
  );

  // the what-if
  const { from, through } = windowOf(query);
  const simFrom = el("input", { id: "sim-from", type: "date", value: from, required: true });
  const simThrough = el("input", { id: "sim-through", type: "date", value: through, required: true });
  const simulate = el("button", { type: "button", text: "Simulate" });
  const outcome = el("div", { id: "simulation" });
  simulate.addEventListener("click", async () => {
    const period = periodOf(new URLSearchParams({ from: simFrom.value, through: simThrough.value }));
    outcome.replaceChildren(el("p", { class: "loading", role: "status", text: "Replaying history…" }));
    const answer = await ask(kind.service, `${kind.prefix}/${chosen}/simulate?${new URLSearchParams({ from: period.start, to: period.to })}`, { method: "POST" });
    outcome.replaceChildren(answer.ok ? rendered(answer.data, `What version ${chosen} would have done`) : problem(answer.error));
  });
  parts.push(
    el("h3", { text: "What if it had been active" }),
    el("div", { class: "window" }, el("label", { for: "sim-from", text: "From" }), simFrom, el("label", { for: "sim-through", text: "Through" }), simThrough, simulate),
    outcome,
  );

  // activating and rolling back
  if (may("admin")) {
    const why = el("input", { id: "activation-note", name: "note", maxlength: 500, class: "short" });
    const activate = el("button", { type: "button", text: `Activate version ${chosen}`, disabled: shown.data.active });
    const rollback = el("button", { type: "button", class: "secondary", text: "Roll back" });
    const act = async (path) => {
      const suffix = why.value.trim() ? `?note=${encodeURIComponent(why.value.trim())}` : "";
      const answer = await ask(kind.service, `${kind.prefix}${path}${suffix}`, { method: "POST" });
      if (answer.ok) window.dispatchEvent(new CustomEvent("leadloop:refresh", { detail: `Version ${answer.data.version} is active (${answer.data.action}).` }));
      else failed(answer);
    };
    activate.addEventListener("click", () => act(`/${chosen}/activate`));
    rollback.addEventListener("click", () => act("/rollback"));
    parts.push(
      el("h3", { text: "Activate" }),
      el("div", { class: "window" }, el("label", { for: "activation-note", text: "Why" }), why, activate, rollback),
    );
  }
  parts.push(status);
  return el("section", { "aria-labelledby": "policies-title" }, parts);
}
