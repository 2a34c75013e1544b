// A catalog request with a conditional field, approved in two stages in the browser: the
// requester's manager, then two of the three members of the IT-budget team. The form is
// tried with and without the script (the condition is then the server's to judge).

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

async function person(admin, name, role, extra = {}) {
  return w.api(
    "POST",
    "/users",
    { email: `${name}@example.test`, name: name[0].toUpperCase() + name.slice(1), password: PASSWORD, role, ...extra },
    admin,
  );
}

test("a laptop request with a conditional field goes through two approval stages", async () => {
  const admin = await w.token(ADMIN.email, ADMIN.password);
  const budget = await w.api("POST", "/teams", { name: "IT budget" }, admin);
  const deskTeam = await w.api("POST", "/teams", { name: "Service desk" }, admin);
  const mona = await person(admin, "mona", "manager");
  const max = await person(admin, "max", "requester");
  const rita = await person(admin, "rita", "requester");
  await w.api("PATCH", `/users/${rita.id}`, { manager_id: max.id }, admin);
  for (const n of ["bo", "bea", "ben"]) await person(admin, n, "agent", { team_ids: [budget.id] });
  const monaToken = await w.token("mona@example.test", PASSWORD);
  const cat = await w.api("POST", "/catalog-categories", { name: "Hardware" }, monaToken);
  const item = await w.api(
    "POST",
    "/catalog-items",
    {
      category_id: cat.id,
      name: "New laptop",
      description: "A laptop for work.",
      owner_id: mona.id,
      fulfilment_team_id: deskTeam.id,
      audience: { type: "everyone" },
      form: {
        fields: [
          {
            key: "model", label: "Model", required: true, type: "single_select",
            options: [
              { value: "standard", label: "Standard" },
              { value: "developer", label: "Developer" },
              { value: "workstation", label: "Workstation" },
            ],
          },
          {
            key: "justification", label: "Why a workstation?", required: true, type: "long_text", max_len: 2000,
            visible_when: { field: "model", op: { equals: "workstation" } },
          },
          { key: "needed_by", label: "Needed by", required: true, type: "date" },
        ],
      },
      task_template: { mode: "ordered", tasks: [{ title: "Order the laptop" }, { title: "Image and hand over" }] },
      approval_policy: {
        stages: [
          { name: "Manager", approvers: ["requester_manager"], decision: "any", due_hours: 8, on_timeout: "reject" },
          { name: "IT budget", approvers: [{ team: budget.id }], decision: { at_least: 2 }, due_hours: 16, on_timeout: "reject" },
        ],
      },
    },
    monaToken,
  );

  // --- Without the script: every field is there, the condition in words.
  const plain = await w.browser.newContext({ javaScriptEnabled: false, baseURL: w.base });
  const p = await plain.newPage();
  await signIn(p, "rita@example.test", PASSWORD);
  await p.goto(`/catalog/${item.id}`);
  assert.ok(await p.getByLabel("Why a workstation?").isVisible());
  assert.match(await p.locator("#field-justification .condition").innerText(), /only when Model is Workstation/);
  await p.getByLabel("Model").selectOption("workstation");
  await p.getByLabel("Needed by").fill("2027-01-15");
  await p.getByRole("button", { name: "Send the request" }).click();
  // The justification is required once the model is a workstation: refused, input kept.
  assert.ok(await p.locator("#justification-error").isVisible());
  assert.equal(await p.getByLabel("Model").inputValue(), "workstation");
  assert.equal(await p.getByLabel("Needed by").inputValue(), "2027-01-15");
  await plain.close();

  // --- With the script: the field follows the answer.
  const rc = await w.context();
  const r = await rc.newPage();
  await signIn(r, "rita@example.test", PASSWORD);
  await r.goto("/catalog");
  assert.equal(await snap(r, "catalog-items"), 0);
  await r.getByRole("link", { name: "New laptop" }).click();
  const justification = r.locator("#field-justification");
  assert.equal(await justification.isVisible(), false, "hidden until the model is a workstation");
  await r.getByLabel("Model").selectOption("workstation");
  assert.equal(await justification.isVisible(), true);
  await r.getByLabel("Model").selectOption("standard");
  assert.equal(await justification.isVisible(), false);
  await r.getByLabel("Model").selectOption("workstation");
  await r.getByLabel("Why a workstation?").fill("3D rendering for the trade fair.");
  await r.getByLabel("Needed by").fill("2027-01-15");
  assert.equal(await snap(r, "request-form"), 0);
  await r.getByRole("button", { name: "Send the request" }).click();
  await r.waitForURL(/\/tickets\/REQ-\d+/);
  const ref = r.url().match(/REQ-\d+/)[0];
  assert.match(await r.locator("#ticket-status").innerText(), /pending approval/);
  assert.equal(await snap(r, "request-ticket"), 0);

  // --- Stage 1: Rita's manager approves in the browser.
  const decide = async (email, approve, reason) => {
    const ctx = await w.context();
    const page = await ctx.newPage();
    await signIn(page, email, PASSWORD);
    await page.goto("/approvals");
    const card = page.locator("section.approval", { hasText: ref });
    // The approver reads the answers as the requester saw the questions.
    const said = await card.innerText();
    assert.match(said, /Model\s+Workstation/, said);
    assert.match(said, /Why a workstation\?\s+3D rendering for the trade fair\./, said);
    await card.waitFor();
    if (approve) {
      await card.getByRole("button", { name: "Approve" }).click();
    } else {
      await card.getByLabel("Reason for a rejection").fill(reason);
      await card.getByRole("button", { name: "Reject" }).click();
    }
    await page.waitForURL(/\/approvals$/);
    const left = await page.locator("section.approval", { hasText: ref }).count();
    await ctx.close();
    return left;
  };
  // A rejection without a reason is refused, and nothing changes.
  {
    const ctx = await w.context();
    const page = await ctx.newPage();
    await signIn(page, "max@example.test", PASSWORD);
    await page.goto("/approvals");
    assert.equal(await snap(page, "approvals-pending"), 0);
    const card = page.locator("section.approval", { hasText: ref });
    await card.getByRole("button", { name: "Reject" }).click();
    assert.match(await page.locator(".alert").innerText(), /Not sent/);
    await ctx.close();
  }
  assert.equal(await decide("max@example.test", true), 0);
  // --- Stage 2: two of the three budget approvers.
  assert.equal(await decide("bo@example.test", true), 0);
  await r.reload();
  assert.match(await r.locator("#ticket-status").innerText(), /pending approval/);
  assert.equal(await decide("bea@example.test", true), 0);
  await r.reload();
  assert.match(await r.locator("#ticket-status").innerText(), /fulfilling/);
  // The third approver has nothing left to decide.
  const ben = await w.context();
  const b = await ben.newPage();
  await signIn(b, "ben@example.test", PASSWORD);
  await b.goto("/approvals");
  assert.equal(await b.locator("section.approval", { hasText: ref }).count(), 0);
  await ben.close();
  await rc.close();
});
