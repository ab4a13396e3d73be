// The console's shell: sign-in, the screens by URL fragment (shareable: the fragment names a
// screen and a lead, never a key), and honest states while a screen loads or fails.

import { currentSession, signIn, signOut, signedInKey } from "./api.js";
import { el, problem } from "./dom.js";
import { leadLookup, leadPage } from "./lead.js";
import { overviewPage } from "./overview.js";
import { routingPage } from "./routing.js";
import { slaPage } from "./sla.js";
import { funnelPage } from "./funnel.js";
import { attributionPage } from "./attribution.js";
import { sourcesPage } from "./sources.js";
import { operationsPage } from "./operations.js";
import { policiesPage } from "./policies.js";

const main = document.getElementById("main");
const who = document.getElementById("who");
const signOutButton = document.getElementById("sign-out");

function go(fragment) {
  if (location.hash === fragment) route();
  else location.hash = fragment;
}

function show(...nodes) {
  main.replaceChildren(...nodes);
  main.focus();
}

function signInScreen(then) {
  const input = el("input", { id: "api-key", name: "key", type: "password", required: true, autocomplete: "off" });
  const status = el("p", { id: "sign-in-status", role: "status" });
  const form = el(
    "form",
    { class: "sign-in", "aria-labelledby": "sign-in-title" },
    el("h1", { id: "sign-in-title", text: "Sign in" }),
    el("label", { for: "api-key", text: "API key" }),
    input,
    el("button", { type: "submit", text: "Sign in" }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "Checking the key…";
    const answer = await signIn(input.value.trim());
    input.value = "";
    if (answer.ok) {
      showSignedIn();
      go(then || "#/overview");
    } else {
      status.textContent = answer.status === 401 ? "That key was refused." : `Cannot sign in: ${answer.error}`;
      status.className = "problem";
    }
  });
  show(form);
}

function showSignedIn() {
  const signedIn = Boolean(signedInKey());
  const session = currentSession();
  const masked = session && !session.personal_data ? ", personal data masked" : "";
  who.textContent = signedIn ? (session ? `${session.name} (${session.role}${masked})` : "Signed in") : "";
  signOutButton.hidden = !signedIn;
}

async function route() {
  showSignedIn();
  const fragment = location.hash || "#/overview";
  if (!signedInKey()) {
    signInScreen(fragment.startsWith("#/sign-in") ? "#/overview" : fragment);
    return;
  }
  const [path, search] = fragment.split("?");
  const [, screen, id] = path.split("/");
  show(el("p", { class: "loading", role: "status", text: "Loading…" }));
  try {
    if (screen === "leads" && id) show(await leadPage(decodeURIComponent(id)));
    else if (screen === "leads") show(leadLookup(go));
    else if (screen === "routing") show(await routingPage(new URLSearchParams(search ?? ""), go));
    else if (screen === "sla") show(await slaPage(new URLSearchParams(search ?? ""), go));
    else if (screen === "funnel") show(await funnelPage(new URLSearchParams(search ?? ""), go));
    else if (screen === "attribution") show(await attributionPage(new URLSearchParams(search ?? ""), go));
    else if (screen === "sources") show(await sourcesPage(new URLSearchParams(search ?? ""), go));
    else if (screen === "operations") show(await operationsPage());
    else if (screen === "policies") show(await policiesPage(new URLSearchParams(search ?? ""), go));
    else show(await overviewPage(new URLSearchParams(search ?? ""), go));
  } catch (error) {
    show(problem(`This screen failed: ${error.message}`));
  }
}

signOutButton.addEventListener("click", () => {
  signOut();
  go("#/sign-in");
});
window.addEventListener("hashchange", route);
// an action done: the screen is drawn again from the services' answers, the outcome kept in view
window.addEventListener("leadloop:refresh", async (event) => {
  await route();
  const status = document.getElementById("action-status") ?? document.getElementById("routing-status");
  if (status) status.textContent = event.detail;
});
route();

