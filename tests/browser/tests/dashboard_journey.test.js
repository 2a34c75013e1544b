// Dashboards per role: the test opens, answers and resolves tickets through the API,
// computes what each figure must be from the API's own answers, and reads them on the
// manager's dashboard and the agent's home. Requesters and agents get 403 on /dashboard;
// the dashboard fits a phone; times show in the profile's zone with UTC on hover.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { World, ADMIN, PASSWORD, signIn, snap } from "../lib/harness.js";

let w;
before(async () => {
  w = await World.start();
});
after(async () => {
  await w?.stop();
});

const figure = async (page, name) => (await page.locator(`[data-figure="${name}"]`).first().innerText()).trim();

test("the manager's dashboard shows the counts the test computed", async () => {
  const admin = await w.token(ADMIN.email, ADMIN.password);
  const team = await w.api("POST", "/teams", { name: "Service desk" }, admin);
  const ada = await w.api(
    "POST",
    "/users",
    { email: "ada@example.test", name: "Ada Agent", password: PASSWORD, role: "agent", team_ids: [team.id] },
    admin,
  );
  await w.api("POST", "/users", { email: "max@example.test", name: "Max Manager", password: PASSWORD, role: "manager" }, admin);
  await w.api("POST", "/users", { email: "rob@example.test", name: "Rob", password: PASSWORD, role: "requester" }, admin);
  const agent = await w.token("ada@example.test", PASSWORD);
  const rob = await w.token("rob@example.test", PASSWORD);

  // Eight incidents over the priority matrix, raised by the requester.
  const matrix = [
    ["high", "high"], ["high", "medium"], ["high", "medium"], ["medium", "medium"],
    ["medium", "low"], ["low", "low"], ["low", "low"], ["medium", "high"],
  ];
  const made = [];
  for (const [i, [impact, urgency]] of matrix.entries()) {
    made.push(await w.api("POST", "/incidents", { title: `Case ${i}`, description: "Dashboard data", impact, urgency }, rob));
  }
  // The agent takes three, answers two of them in public, and resolves two.
  const act = async (inc, action, extra = {}) => {
    const cur = await w.api("GET", `/incidents/${inc.id}`, undefined, agent);
    return w.api("POST", `/incidents/${inc.id}/transitions`, { action, version: cur.version, ...extra }, agent);
  };
  for (const inc of made.slice(0, 3)) {
    const cur = await w.api("GET", `/incidents/${inc.id}`, undefined, agent);
    await w.api("POST", `/incidents/${inc.id}/assign`, { team_id: team.id, assignee_id: ada.id, version: cur.version }, agent);
  }
  for (const inc of made.slice(0, 2)) {
    await w.api("POST", `/incidents/${inc.id}/comments`, { body: "Looking into it.", internal: false }, agent);
  }
  for (const inc of made.slice(0, 2)) {
    await act(inc, "start");
    await act(inc, "resolve", { resolution_code: "fixed", resolution_notes: "Done." });
  }

  // What each figure must be, from the API's answers.
  const now = await Promise.all(made.map((i) => w.api("GET", `/incidents/${i.id}`, undefined, admin)));
  const open = now.filter((i) => i.status_class === "open" || i.status_class === "pending");
  const resolved = now.filter((i) => i.resolved_at);
  const withSla = resolved.filter((i) => i.sla);
  const breached = withSla.filter((i) => i.sla.first_response.breached || i.sla.resolution.breached);
  const unanswered = now.filter((i) => !i.first_responded_at && !i.resolved_at);
  const byPriority = {};
  for (const i of open) byPriority[i.priority] = (byPriority[i.priority] || 0) + 1;
  assert.equal(open.length, 6);
  assert.equal(resolved.length, 2);
  assert.ok(Object.keys(byPriority).length >= 3, "the data spans priorities");

  // The manager's dashboard.
  const ctx = await w.context();
  const m = await ctx.newPage();
  await signIn(m, "max@example.test", PASSWORD);
  await m.getByRole("link", { name: "Dashboard" }).first().click();
  await m.waitForURL(/\/dashboard$/);
  assert.equal(await figure(m, "backlog-total"), String(open.length));
  for (const p of ["critical", "high", "medium", "low"]) {
    assert.equal(await figure(m, `backlog-${p}`), String(byPriority[p] || 0), `open ${p}`);
    // Everything was opened minutes ago: the whole row is in the youngest column.
    assert.equal(await figure(m, `backlog-${p}-0`), String(byPriority[p] || 0), `open ${p} under a day`);
  }
  assert.equal(await figure(m, "opened"), String(made.length));
  assert.equal(await figure(m, "resolved"), String(resolved.length));
  assert.equal(await figure(m, "compliance-with-sla"), String(withSla.length));
  assert.equal(await figure(m, "compliance-met"), String(withSla.length - breached.length));
  if (withSla.length) {
    const pct = (((withSla.length - breached.length) * 100) / withSla.length).toFixed(1);
    assert.equal(await figure(m, "compliance"), `${pct} %`);
  }
  assert.equal(await figure(m, "unanswered"), String(unanswered.length));
  assert.equal(await figure(m, "backlog-breached"), String(open.filter((i) => i.sla && (i.sla.first_response.breached || i.sla.resolution.breached)).length));
  // The charts are there, with their numbers as text.
  const chart = m.locator("#volume-chart-d");
  assert.match(await chart.textContent(), new RegExp(`${made.length} opened and ${resolved.length} resolved`));
  assert.equal(await snap(m, "dashboard"), 0, "the dashboard scrolls sideways at 375 px");

  // The agent's home: their own open work by priority.
  const actx = await w.context();
  const a = await actx.newPage();
  await signIn(a, "ada@example.test", PASSWORD);
  const mine = now.filter((i) => i.assignee_id === ada.id && (i.status_class === "open" || i.status_class === "pending"));
  assert.equal(await figure(a, "my-open"), String(mine.length));
  assert.equal(mine.length, 1);
  assert.equal(await figure(a, `my-${mine[0].priority}`), "1");
  assert.equal(await snap(a, "agent-home"), 0);
  // Agents and requesters do not get the desk's figures.
  let res = await a.goto("/dashboard");
  assert.equal(res.status(), 403);
  const rctx = await w.context();
  const r = await rctx.newPage();
  await signIn(r, "rob@example.test", PASSWORD);
  res = await r.goto("/dashboard");
  assert.equal(res.status(), 403);
  assert.equal(await r.getByRole("link", { name: "Dashboard" }).count(), 0);

  // Times follow the profile's zone, UTC on hover. An unknown zone is refused next to
  // the field with the input kept.
  await a.goto("/profile");
  await a.getByLabel("Time zone").fill("Nowhere/Atlantis");
  await a.getByRole("button", { name: "Save", exact: true }).click();
  assert.ok(await a.locator("#time_zone-error").isVisible(), "the zone field says what is wrong");
  assert.equal(await a.getByLabel("Time zone").inputValue(), "Nowhere/Atlantis");
  await a.getByLabel("Time zone").fill("Asia/Kathmandu");
  await a.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
  await a.getByRole("button", { name: "Save", exact: true }).click();
  await a.waitForURL(/notice=saved/);
  assert.equal(await a.getByLabel("Time zone").inputValue(), "Asia/Kathmandu");
  assert.match(await a.locator(".me .who").innerText(), /Ada Lovelace/);
  assert.equal(await snap(a, "profile"), 0);
  await a.goto(`/tickets/${made[2].reference}`);
  const t = a.locator("time").first();
  const shown = await t.innerText();
  const hover = await t.getAttribute("title");
  assert.match(shown, /\+0545/, `shown in Kathmandu time: ${shown}`);
  assert.match(hover, /UTC$/);
  assert.match(await a.locator("footer").innerText(), /Asia\/Kathmandu/);
});
