// `serve --demo` fills every page: a tour of the console as each demo person, checking that
// each page has content (not its empty state), answers 200, and fits a phone.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { World, signIn, snap } from "../lib/harness.js";

const DEMO = "demo-password-1";
let w;
before(async () => {
  w = await World.start({ args: ["--demo"] });
});
after(async () => {
  await w?.stop();
});

async function visit(page, path, name, check) {
  const res = await page.goto(path);
  assert.equal(res.status(), 200, `${path} answered ${res.status()}`);
  await check(page);
  assert.equal(await snap(page, `demo-${name}`), 0, `${path} scrolls sideways at 375 px`);
}

const rows = (page, sel = "table.tickets tbody tr:not(:has(td.empty))") => page.locator(sel).count();

test("every page of the demo has believable data", async () => {
  const m = await (await w.context()).newPage();
  await signIn(m, "manager@demo.local", DEMO);
  await visit(m, "/dashboard", "dashboard", async (p) => {
    const opened = Number(await p.locator('[data-figure="opened"]').innerText());
    const resolved = Number(await p.locator('[data-figure="resolved"]').innerText());
    const backlog = Number(await p.locator('[data-figure="backlog-total"]').innerText());
    assert.ok(opened >= 40, `a month of tickets: ${opened}`);
    assert.ok(resolved >= 20, `most get resolved: ${resolved}`);
    assert.ok(backlog >= 3, `some are open: ${backlog}`);
    assert.match(await p.locator('[data-figure="compliance"]').innerText(), /%/);
    assert.notEqual(await p.locator('[data-figure="resolve-median"]').innerText(), "—");
  });
  await visit(m, "/approvals", "approvals", async (p) => {
    assert.ok((await p.getByRole("button", { name: /approve/i }).count()) >= 1, "an approval waits for the manager");
  });
  await visit(m, "/queue?view=all", "queue", async (p) => assert.ok((await rows(p)) >= 10, "the open work of the desk"));

  const a = await (await w.context()).newPage();
  await signIn(a, "agent@demo.local", DEMO);
  await visit(a, "/", "agent-home", async (p) => {
    assert.ok(Number(await p.locator('[data-figure="my-open"]').innerText()) >= 1, "work assigned to the agent");
  });
  await visit(a, "/queue?view=triage", "triage", async (p) => assert.ok((await rows(p)) >= 1, "fresh tickets in triage"));
  await a.goto("/queue?view=mine");
  const first = a.locator("table.tickets tbody tr a").first();
  const ref = (await first.innerText()).trim();
  await visit(a, `/tickets/${ref}`, "ticket", async (p) => {
    assert.ok((await p.locator("#comments .thread li, #comments .thread article").count()) >= 1, "a conversation");
  });
  await visit(a, "/notifications", "notifications", async (p) => {
    assert.ok((await p.locator(".inbox-list li").count()) >= 1, "the inbox has notifications");
  });

  const r = await (await w.context()).newPage();
  await signIn(r, "requester@demo.local", DEMO);
  await visit(r, "/", "requester-home", async (p) => assert.ok((await rows(p)) >= 1, "the requester's tickets"));
  await visit(r, "/catalog", "catalog", async (p) => {
    assert.ok(await p.getByText("New laptop").first().isVisible());
    assert.ok(await p.getByText("VPN access").first().isVisible());
  });
});
