// Console limits a person notices only when they matter: the request budget is per
// signed-in person, not per address (an office behind one NAT is many people), and a stale
// page never overwrites a newer change: it comes back with the current state.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { World, ADMIN, PASSWORD, signIn } from "../lib/harness.js";

const BUDGET = 40;
let w;
before(async () => {
  w = await World.start({ env: { SERVICEDESK_RATE_LIMIT_PER_MINUTE: String(BUDGET) } });
});
after(async () => {
  await w?.stop();
});

test("the request budget is per person, and a stale page does not overwrite", async () => {
  const admin = await w.token(ADMIN.email, ADMIN.password);
  const team = await w.api("POST", "/teams", { name: "Service desk" }, admin);
  const ada = await w.api(
    "POST",
    "/users",
    { email: "ada@example.test", name: "Ada Agent", password: PASSWORD, role: "agent", team_ids: [team.id] },
    admin,
  );
  await w.api(
    "POST",
    "/users",
    { email: "ben@example.test", name: "Ben Agent", password: PASSWORD, role: "agent", team_ids: [team.id] },
    admin,
  );
  const inc = await w.api("POST", "/incidents", { title: "Shared printer offline", description: "Floor 2", impact: "medium", urgency: "medium" }, admin);

  // --- A stale page: Ada has the ticket open twice; she takes it in one tab, then the
  // other tab (still showing it unassigned) tries to give it to the team only.
  const actx = await w.context();
  const tab1 = await actx.newPage();
  await signIn(tab1, "ada@example.test", PASSWORD);
  const tab2 = await actx.newPage();
  await tab1.goto(`/tickets/${inc.reference}`);
  await tab2.goto(`/tickets/${inc.reference}`);
  await tab2.waitForSelector("body[data-live-connected=yes]");
  // Tab 2 has chosen the team but not sent it when tab 1's change arrives over the live
  // feed: the refresh shows the news and leaves the half-made choice and its version alone.
  await tab2.getByLabel("Team").selectOption({ label: "Service desk" });
  await tab1.getByLabel("Person").selectOption("me");
  await tab1.getByRole("button", { name: "Assign" }).click();
  await tab1.waitForURL(new RegExp(`/tickets/${inc.reference}$`));
  await tab2.locator("#live-note", { hasText: "Reload the page" }).waitFor();
  assert.match(await tab2.locator("#ticket-details").innerText(), /Ada Agent/, "the details show the news");
  assert.equal(await tab2.getByLabel("Team").inputValue(), team.id, "the choice being made stays");
  const [stale] = await Promise.all([
    tab2.waitForResponse((r) => r.request().method() === "POST"),
    tab2.getByRole("button", { name: "Assign" }).click(),
  ]);
  assert.equal(stale.status(), 409);
  assert.match(await tab2.locator("main").innerText(), /nothing was overwritten/);
  assert.match(await tab2.locator("main").innerText(), /Ada Agent/, "the page shows the current assignee");
  const stored = await w.api("GET", `/incidents/${inc.id}`, undefined, admin);
  assert.equal(stored.assignee_id, ada.id, "the newer change stands");
  assert.equal(stored.team_id, null, "the stale form changed nothing");

  // --- The live feed outlives the access token: the script renews the cookie through the
  // console before it reconnects (the server closes the socket when the token expires).
  await actx.clearCookies({ name: "sd_at" });
  assert.equal(await tab1.evaluate(async () => (await fetch("/session/keepalive")).status), 204);
  assert.ok((await actx.cookies()).some((c) => c.name === "sd_at"), "the access cookie is renewed");
  assert.equal(
    await tab1.evaluate(
      () =>
        new Promise((ok) => {
          const ws = new WebSocket(`ws://${location.host}/api/v1/stream`);
          ws.onopen = () => ok("open");
          ws.onclose = () => ok("closed");
        }),
    ),
    "open",
  );

  // --- The budget: Ada spends hers; Ben, from the same address, still gets his pages,
  // and so does a visitor who is not signed in.
  let refused = null;
  for (let i = 0; i < BUDGET + 5 && !refused; i++) {
    const r = await actx.request.get("/", { maxRedirects: 0 });
    if (r.status() === 429) refused = r;
  }
  assert.ok(refused, `Ada was never refused in ${BUDGET + 5} requests`);
  assert.ok(Number(refused.headers()["retry-after"]) >= 1, "429 says when to come back");
  assert.match(await refused.text(), /Too many|too many/);
  const bctx = await w.context();
  const b = await bctx.newPage();
  await signIn(b, "ben@example.test", PASSWORD);
  assert.equal((await b.goto("/")).status(), 200, "another person behind the same address is not limited");
  const vctx = await w.context();
  assert.equal((await (await vctx.newPage()).goto("/sign-in")).status(), 200);
});
