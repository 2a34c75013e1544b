// A requester registers through the console, follows the mailed link and opens an
// incident; an agent in a second browser sees it appear in the triage queue without a
// reload, takes it, answers with a comment and a work note and resolves it; the requester
// sees the comment, not the note, and confirms. Along the way: CSRF, 403 and 404 pages,
// markup shown as text, and every page at 375 px without sideways scrolling.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { World, ADMIN, PASSWORD, signIn, snap, until } from "../lib/harness.js";

let w;
before(async () => {
  w = await World.start();
});
after(async () => {
  await w?.stop();
});

test("the incident journey in two browsers", async () => {
  const admin = await w.token(ADMIN.email, ADMIN.password);
  const team = await w.api("POST", "/teams", { name: "Service desk" }, admin);
  await w.api(
    "POST",
    "/users",
    { email: "ada@example.test", name: "Ada Agent", password: PASSWORD, role: "agent", team_ids: [team.id] },
    admin,
  );

  // --- The requester registers and confirms the address from the mail.
  const rq = await w.context();
  const r = await rq.newPage();
  await r.goto("/");
  assert.match(r.url(), /\/sign-in/);
  assert.equal(await snap(r, "sign-in"), 0, "sign-in scrolls sideways at 375 px");
  await r.getByRole("link", { name: "Create an account" }).click();
  await r.getByLabel("Your name").fill("Rita Requester");
  await r.getByLabel("E-mail address").fill("rita@example.test");
  await r.getByLabel("Password").fill("short");
  await r.getByRole("button", { name: "Create account" }).click();
  // A refused form keeps the input and says what is wrong next to the field.
  assert.equal(await r.getByLabel("Your name").inputValue(), "Rita Requester");
  assert.ok(await r.locator("#password-error").isVisible());
  await r.getByLabel("Password").fill(PASSWORD);
  await r.getByRole("button", { name: "Create account" }).click();
  await r.waitForURL(/notice=registered/);
  const mail = await w.mailTo("rita@example.test", "confirm");
  const link = (mail.text.match(/https?:\/\/\S+verify-email\?token=[^\s"<>]+/) || [])[0];
  assert.ok(link, `no verification link in: ${mail.text}`);
  await r.goto(link);
  await r.getByRole("button", { name: "Confirm my address" }).click();
  await r.waitForURL(/notice=verified/);
  await signIn(r, "rita@example.test", PASSWORD);
  assert.equal(await snap(r, "requester-home"), 0);

  // --- The agent watches the triage queue in a second browser.
  const ag = await w.context();
  const a = await ag.newPage();
  await signIn(a, "ada@example.test", PASSWORD);
  await a.goto("/queue?view=triage");
  await until("the live feed", async () => (await a.evaluate(() => document.body.dataset.liveConnected)) === "yes");

  // --- The requester opens an incident (with markup in it, shown as text).
  await r.getByRole("link", { name: "Report a problem" }).first().click();
  assert.equal(await snap(r, "new-incident"), 0);
  await r.getByLabel("What is wrong, in one line").fill("Printer <script>alert(1)</script> jams");
  await r.getByLabel("Tell us more").fill("Since this morning <b>every</b> page jams.");
  await r.getByLabel("A team or a service, work is stopped").check();
  await r.getByLabel("Within the hour").check();
  await r.getByRole("button", { name: "Send to the service desk" }).click();
  await r.waitForURL(/\/tickets\/INC-\d+/);
  const ref = r.url().match(/INC-\d+/)[0];
  assert.equal(await r.locator("h1").innerText(), "Printer <script>alert(1)</script> jams");
  assert.equal(await r.locator("script:not([src])").count(), 0, "an inline script got into the page");

  // --- It appears in the agent's queue without a reload.
  const row = a.locator("#queue tr", { hasText: ref });
  await row.waitFor({ timeout: 15000 });
  assert.equal(await snap(a, "agent-queue"), 0);
  await row.getByRole("link", { name: ref }).click();
  await a.waitForURL(new RegExp(`/tickets/${ref}`));
  assert.equal(await snap(a, "agent-ticket"), 0);

  // Take it, answer, note, resolve.
  await a.getByLabel("Person").selectOption("me");
  await a.getByRole("button", { name: "Assign" }).click();
  await a.getByRole("button", { name: "Start work" }).click();
  await a.getByLabel("Add a comment").fill("We are replacing the fuser unit.");
  await a.getByRole("button", { name: "Send" }).click();
  await a.getByLabel("Add a comment").fill("Vendor case 4711, part on order.");
  await a.getByLabel("Work note (only staff see it)").check();
  await a.getByRole("button", { name: "Send" }).click();
  await a.locator("summary", { hasText: "Resolve" }).click();
  await a.getByLabel("What was done").fill("Fuser replaced, test page printed.");
  await a.getByRole("button", { name: "Resolve", exact: true }).click();
  await a.waitForURL(new RegExp(`/tickets/${ref}$`));
  assert.match(await a.locator("#ticket-status").innerText(), /resolved/);

  // --- The requester sees the answer, not the note, and confirms.
  await r.goto(`/tickets/${ref}`);
  const thread = await r.locator("#comments .thread").innerText();
  assert.match(thread, /replacing the fuser unit/);
  assert.doesNotMatch(thread, /Vendor case 4711/);
  assert.equal(await snap(r, "requester-ticket"), 0);
  await r.getByRole("button", { name: "Confirm and close" }).click();
  await r.waitForURL(new RegExp(`/tickets/${ref}$`));
  assert.match(await r.locator("#ticket-status").innerText(), /closed/);

  // --- What a requester may not do.
  const agentOnly = await r.goto("/queue?view=triage");
  assert.equal(agentOnly.status(), 403);
  assert.equal(await snap(r, "forbidden"), 0);
  const other = await w.api(
    "POST",
    "/incidents",
    { title: "Not Rita's", description: "x", impact: "low", urgency: "low" },
    admin,
  );
  const hidden = await r.goto(`/tickets/${other.reference}`);
  assert.equal(hidden.status(), 404);
  // A form post without the CSRF token is refused and changes nothing.
  const forged = await r.evaluate(async (path) => {
    const res = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "body=forged",
    });
    return res.status;
  }, `/tickets/${ref}/comments`);
  assert.equal(forged, 403);

  // --- Every main page at phone width: nothing scrolls sideways.
  for (const [page, path, name] of [
    [r, "/", "requester-home-after"],
    [r, "/catalog", "catalog"],
    [r, "/approvals", "approvals"],
    [r, "/notifications", "notifications"],
    [a, "/", "agent-home"],
    [a, "/queue?view=all&class=any", "agent-queue-all"],
  ]) {
    await page.goto(path);
    assert.equal(await snap(page, name), 0, `${path} scrolls sideways at 375 px`);
  }
  await rq.close();
  await ag.close();
});
