// Servicedesk console: progressive enhancement only. Every page works without this file;
// with it, conditional form fields follow the answers as they change, and the queue and
// the ticket page follow the live feed (/api/v1/stream, authenticated by the session
// cookie: this script never holds a token).

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// --- Conditional fields -------------------------------------------------------------

function answerOf(form, key) {
  const inputs = $$(`[name="${CSS.escape(key)}"]`, form);
  if (inputs.length === 0) return null;
  const first = inputs[0];
  if (first.type === "checkbox" && inputs.length === 1 && first.value === "on") {
    return first.checked;
  }
  if (first.type === "checkbox") {
    return inputs.filter((i) => i.checked).map((i) => i.value);
  }
  if (first.type === "number") {
    return first.value === "" ? null : Number(first.value);
  }
  return first.value === "" ? null : first.value;
}

function holds(condition, answer) {
  const op = condition.op || {};
  const same = (a, b) => a === b || (a != null && b != null && String(a) === String(b));
  if ("equals" in op) return same(answer, op.equals);
  if ("one_of" in op) return (op.one_of || []).some((v) => same(answer, v));
  if ("contains" in op) {
    if (Array.isArray(answer)) return answer.some((v) => same(v, op.contains));
    return typeof answer === "string" && answer.includes(String(op.contains));
  }
  return true;
}

function applyConditions(form) {
  for (const field of $$(".field[data-condition]", form)) {
    let condition;
    try {
      condition = JSON.parse(field.dataset.condition);
    } catch {
      continue;
    }
    const controller = $(`#field-${CSS.escape(condition.field)}`, form);
    const shown = (!controller || !controller.hidden) && holds(condition, answerOf(form, condition.field));
    field.hidden = !shown;
    // A hidden field sends nothing (the server discards it anyway).
    for (const input of $$("input, select, textarea", field)) input.disabled = !shown;
    const note = $(".condition", field);
    if (note) note.hidden = true;
  }
}

for (const form of $$("form.request-form")) {
  applyConditions(form);
  form.addEventListener("input", () => applyConditions(form));
  form.addEventListener("change", () => applyConditions(form));
}

// --- Live updates ---------------------------------------------------------------------

const live = document.body.dataset.live;

function say(text) {
  const note = $("#live-note");
  if (!note) return;
  note.textContent = text;
  note.hidden = false;
}

async function refreshQueue(frame) {
  const table = $("#queue tbody");
  if (!table) return;
  const known = new Set($$("tr[data-ticket]", table).map((r) => r.dataset.ticket));
  const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!res.ok) return;
  const doc = new DOMParser().parseFromString(await res.text(), "text/html");
  const fresh = $("#queue tbody", doc);
  if (!fresh) return;
  table.replaceWith(fresh);
  for (const row of $$("tr[data-ticket]", fresh)) {
    if (!known.has(row.dataset.ticket)) row.classList.add("fresh");
  }
  if (frame && frame.ticket) {
    const verb = frame.kind.endsWith(".created") || frame.kind === "request.submitted" ? "is new" : "changed";
    say(`${frame.ticket.reference} ${verb}.`);
  }
}

async function refreshTicket(frame) {
  const article = $("article.ticket");
  if (!article || !frame.ticket || frame.ticket.id !== article.dataset.ticket) return;
  const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!res.ok) return;
  const doc = new DOMParser().parseFromString(await res.text(), "text/html");
  // Only what others changed is swapped in, never a form: a selection being made or a
  // comment being typed stays as it is, and so does the version it will be sent with.
  for (const sel of ["#ticket-status", "#ticket-details", "#ticket-approvals", "#ticket-links", "#ticket-history", "#comments .thread"]) {
    const now = $(sel, doc);
    const here = $(sel);
    if (now && here) here.replaceWith(now);
    else if (now && sel.startsWith("#ticket-") && $(".ticket-side")) $(".ticket-side").insertBefore(now, $("#ticket-history"));
  }
  // The buttons keep the version this page was loaded with: acting on a ticket someone
  // else changed meanwhile gets its current state and a conflict message, never an
  // overwrite. The note says so and offers the reload.
  const freshArticle = $("article.ticket", doc);
  const changed = freshArticle && freshArticle.dataset.version !== article.dataset.version;
  say(
    `${frame.ticket.reference} was updated: ${frame.ticket.status.replaceAll("_", " ")}.` +
      (changed ? " Reload the page before you act on it." : ""),
  );
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/stream`);
  let timer = null;
  ws.addEventListener("message", (e) => {
    let frame;
    try {
      frame = JSON.parse(e.data);
    } catch {
      return;
    }
    // Several events can arrive together (an assignment and its status move): refresh once.
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (live === "queue") refreshQueue(frame);
      else if (live === "ticket") refreshTicket(frame);
    }, 150);
  });
  ws.addEventListener("open", () => {
    document.body.dataset.liveConnected = "yes";
    attempt = 0;
  });
  ws.addEventListener("close", () => {
    document.body.dataset.liveConnected = "no";
    const delay = Math.min(30000, 1000 * 2 ** attempt);
    // The server closes the feed when its access token expires (every 15 min): a console
    // request renews the cookie first, so the next handshake carries a fresh one.
    setTimeout(() => {
      fetch("/session/keepalive", { credentials: "same-origin", redirect: "manual" })
        .catch(() => {})
        .finally(() => connect(attempt + 1));
    }, delay);
  });
}

if (live && "WebSocket" in window) connect();
