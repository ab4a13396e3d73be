// Building the page from data without ever parsing data as HTML: every value a lead, a rep or a
// form sent is set as text, so nothing in it can run.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function when(instant) {
  if (!instant) return "—";
  const date = new Date(instant);
  return Number.isNaN(date.getTime()) ? String(instant) : date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

export function time(instant) {
  return el("time", { datetime: instant, text: when(instant) });
}

// A table from rows and columns [heading, value-of-row]: the twin of every chart, and lists.
export function table(caption, columns, rows) {
  return el(
    "table",
    {},
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, columns.map(([heading]) => el("th", { scope: "col", text: heading })))),
    el(
      "tbody",
      {},
      rows.map((row) => el("tr", {}, columns.map(([, value]) => el("td", {}, value(row) ?? "—")))),
    ),
  );
}

export function problem(message) {
  return el("p", { class: "problem", role: "alert", text: message });
}

export function empty(message) {
  return el("p", { class: "empty", text: message });
}
