// The console's only way to the services: each one's own API, with the signed-in key in the
// X-API-Key header (never in a URL). The key lives in this tab's session storage and nowhere else.

const KEY = "leadloop.key";
const SESSION = "leadloop.session"; // what the key is (name, role): no secret
const ROLES = ["viewer", "operator", "admin"];
let config = null;

export function signedInKey() {
  return sessionStorage.getItem(KEY);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(SESSION);
}

// {name, role, personal_data, key} as the services answered at sign-in, or null.
export function currentSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION) ?? "null");
  } catch {
    return null;
  }
}

// Whether the signed-in key's role reaches `role`: the console shows no button a key cannot use
// (the services refuse it anyway, 403).
export function may(role) {
  const held = currentSession()?.role;
  return held !== undefined && ROLES.indexOf(held) >= ROLES.indexOf(role);
}

export async function services() {
  if (config === null) {
    const answer = await fetch("config.json");
    if (!answer.ok) throw new Error(`the console's settings did not load (${answer.status})`);
    config = (await answer.json()).services;
  }
  return config;
}

// An answer from one service: {ok, status, data} or, when it could not be asked, {ok: false,
// status: 0, error}. A screen names the service in its error state.
export async function ask(service, path, { key = signedInKey(), method = "GET", body } = {}) {
  const bases = await services();
  const base = bases[service];
  if (!base) return { ok: false, status: 0, service, error: `no address for ${service}` };
  const headers = { "X-API-Key": key ?? "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
  } catch (error) {
    return { ok: false, status: 0, service, error: `${service} is not answering` };
  }
  let data = null;
  try {
    data = await answer.json();
  } catch {
    data = null;
  }
  if (!answer.ok) {
    const detail = described(data?.detail) ?? `${answer.status}`;
    return { ok: false, status: answer.status, service, error: `${service}: ${detail}`, data };
  }
  return { ok: true, status: answer.status, service, data };
}

// A refusal in the service's own words: its detail, or each wrong field it named (a 422).
function described(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((item) => `${(item.loc ?? []).filter((part) => part !== "body").join(".")}: ${item.msg}`)
      .join("; ");
  }
  return null;
}

// Sign-in: the key is kept only once a service accepts it.
export async function signIn(key) {
  const answer = await ask("reporting", "/v1/session", { key });
  if (answer.ok) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(SESSION, JSON.stringify(answer.data));
  }
  return answer;
}

// A report as CSV, saved by the browser: asked with the key in its header like every call (a plain
// link would have to carry the key in its URL), then handed to the browser as a file.
export async function downloadCsv(service, path, filename) {
  const bases = await services();
  const separator = path.includes("?") ? "&" : "?";
  let answer;
  try {
    answer = await fetch(`${bases[service]}${path}${separator}format=csv`, {
      headers: { "X-API-Key": signedInKey() ?? "", Accept: "text/csv" },
      credentials: "omit",
    });
  } catch {
    return { ok: false, error: `${service} is not answering` };
  }
  if (!answer.ok) return { ok: false, error: `${service}: ${answer.status}` };
  const url = URL.createObjectURL(await answer.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { ok: true };
}
