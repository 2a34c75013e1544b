// Calendars and SLA policies in the console: the week grid (two intervals a day, closed
// days, holidays), field messages on the day they concern with the input kept, a policy on
// the new calendar, a stale save that changes nothing, and agents kept to reading.

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

test("an admin sets business hours in the week grid and a policy on them", async () => {
  const admin = await w.token(ADMIN.email, ADMIN.password);
  await w.api("POST", "/users", { email: "ada@example.test", name: "Ada Agent", password: PASSWORD, role: "agent" }, admin);

  const ctx = await w.context();
  const p = await ctx.newPage();
  await signIn(p, ADMIN.email, ADMIN.password);
  await p.goto("/admin");
  await p.getByRole("link", { name: "Calendars and SLA policies" }).click();
  await p.waitForURL(/\/admin\/sla$/);
  await p.getByRole("link", { name: "New calendar" }).click();
  assert.equal(await snap(p, "admin-calendar"), 0, "the week grid scrolls sideways at 375 px");

  await p.getByLabel("Name").fill("Berlin office");
  await p.getByLabel("Time zone").fill("Europe/Berlin");
  // Monday with a lunch break, but the afternoon typed backwards: refused on Monday's row.
  await p.getByLabel("Monday from", { exact: true }).fill("08:00");
  await p.getByLabel("Monday to", { exact: true }).fill("12:00");
  await p.getByLabel("Monday second interval from").fill("17:00");
  await p.getByLabel("Monday second interval to").fill("13:00");
  await p.getByLabel("Holidays").fill("2026-12-25\n2026-12-26");
  const [refused] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === "POST"),
    p.getByRole("button", { name: "Save calendar" }).click(),
  ]);
  assert.equal(refused.status(), 422);
  assert.ok(await p.locator("#mon-error").isVisible(), "the message sits on Monday's row");
  assert.equal(await p.getByLabel("Name").inputValue(), "Berlin office", "the input is kept");
  assert.equal(await p.getByLabel("Monday second interval from").inputValue(), "17:00");
  await p.getByLabel("Monday second interval from").fill("13:00");
  await p.getByLabel("Monday second interval to").fill("17:00");
  // Friday afternoon off; Saturday and Sunday stay closed as they came.
  await p.getByLabel("Friday to", { exact: true }).fill("13:00");
  await p.getByRole("button", { name: "Save calendar" }).click();
  await p.waitForURL(/\/admin\/sla\?notice=saved/);
  const row = p.locator("tr", { hasText: "Berlin office" });
  assert.match(await row.innerText(), /Mon 08:00–12:00, 13:00–17:00/);
  assert.match(await row.innerText(), /Tue–Thu 09:00–17:00 · Fri 09:00–13:00/);
  assert.doesNotMatch(await row.innerText(), /Sat/);

  const cals = await w.api("GET", "/calendars", undefined, admin);
  const berlin = (cals.items || cals).find((c) => c.name === "Berlin office");
  assert.equal(berlin.time_zone, "Europe/Berlin");
  assert.deepEqual(berlin.hours.mon, [["08:00", "12:00"], ["13:00", "17:00"]]);
  assert.deepEqual(berlin.hours.sat, []);
  assert.deepEqual(berlin.holidays, ["2026-12-25", "2026-12-26"]);

  // A policy on it for critical incidents.
  await p.getByRole("link", { name: "New policy" }).click();
  await p.getByLabel("Name").fill("Critical, office hours");
  await p.getByLabel("Rank").fill("5");
  await p.getByLabel("Calendar").selectOption({ label: "Berlin office" });
  await p.getByLabel("First response within (business minutes)").fill("soon");
  await p.getByRole("button", { name: "Save policy" }).click();
  assert.ok(await p.locator("#first_response_minutes-error").isVisible(), "not a number, said on the field");
  await p.getByLabel("First response within (business minutes)").fill("30");
  await p.getByLabel("Resolution within (business minutes)").fill("240");
  await p.getByLabel("critical").check();
  await p.getByLabel("incident", { exact: true }).check();
  assert.equal(await snap(p, "admin-policy"), 0);
  await p.getByRole("button", { name: "Save policy" }).click();
  await p.waitForURL(/\/admin\/sla\?notice=saved/);
  const prow = p.locator("tr", { hasText: "Critical, office hours" });
  assert.match(await prow.innerText(), /30 min/);
  assert.match(await prow.innerText(), /4 h/);
  assert.match(await prow.innerText(), /Berlin office/);
  assert.match(await p.locator("tr", { hasText: "24x7" }).first().innerText(), /around the clock/);
  assert.equal(await snap(p, "admin-sla"), 0);

  // Two tabs on the same policy: the second save is stale and changes nothing.
  await prow.getByRole("link", { name: "Critical, office hours" }).click();
  const url = p.url();
  const other = await ctx.newPage();
  await other.goto(url);
  await p.getByLabel("Resolution within (business minutes)").fill("300");
  await p.getByRole("button", { name: "Save policy" }).click();
  await p.waitForURL(/notice=saved/);
  await other.getByLabel("Resolution within (business minutes)").fill("999");
  const [stale] = await Promise.all([
    other.waitForResponse((r) => r.request().method() === "POST"),
    other.getByRole("button", { name: "Save policy" }).click(),
  ]);
  assert.equal(stale.status(), 409);
  assert.equal(await other.getByLabel("Resolution within (business minutes)").inputValue(), "300", "the page shows what is stored");
  const policies = await w.api("GET", "/sla-policies", undefined, admin);
  const stored = (policies.items || policies).find((x) => x.name === "Critical, office hours");
  assert.equal(stored.resolution_minutes, 300);

  // What the pages do not edit survives a save: a policy's categories, a split shift's
  // third interval, a day that ends at midnight.
  const shift = await w.api(
    "POST",
    "/calendars",
    { name: "Split shift", time_zone: "UTC", hours: { mon: [["06:00", "10:00"], ["12:00", "14:00"], ["18:00", "24:00"]], tue: [["16:00", "24:00"]] }, holidays: [] },
    admin,
  );
  const net = await w.api(
    "POST",
    "/sla-policies",
    { name: "Network", rank: 7, conditions: { categories: ["network"] }, calendar_id: shift.id, first_response_minutes: 30, resolution_minutes: 240, warn_percent: 75 },
    admin,
  );
  await p.goto(`/admin/sla/calendars/${shift.id}`);
  assert.match(await p.locator("main").innerText(), /06:00–10:00, 12:00–14:00, 18:00–24:00/);
  assert.equal(await p.getByLabel("Tuesday to", { exact: true }).inputValue(), "00:00", "midnight shows as 00:00");
  await p.getByLabel("Name").fill("Split shift (night)");
  await p.getByRole("button", { name: "Save calendar" }).click();
  await p.waitForURL(/notice=saved/);
  const shiftAfter = await w.api("GET", `/calendars/${shift.id}`, undefined, admin);
  assert.equal(shiftAfter.name, "Split shift (night)");
  assert.equal(shiftAfter.hours.mon.length, 3);
  assert.deepEqual(shiftAfter.hours.tue, [["16:00", "24:00"]]);
  await p.goto(`/admin/sla/policies/${net.id}`);
  assert.match(await p.locator("main").innerText(), /categories network/);
  await p.getByLabel("Rank").fill("8");
  await p.getByRole("button", { name: "Save policy" }).click();
  await p.waitForURL(/notice=saved/);
  const netAfter = await w.api("GET", `/sla-policies/${net.id}`, undefined, admin);
  assert.equal(netAfter.rank, 8);
  assert.deepEqual(netAfter.conditions.categories, ["network"]);

  // Agents read, they do not edit.
  const actx = await w.context();
  const a = await actx.newPage();
  await signIn(a, "ada@example.test", PASSWORD);
  assert.equal((await a.goto("/admin/sla/calendars/new")).status(), 403);
  assert.equal((await a.goto(`/admin/sla/calendars/${berlin.id}`)).status(), 200);
  const res = await a.evaluate(async ([id, csrf]) => {
    const body = new URLSearchParams({ csrf, version: "1", name: "Hijacked", time_zone: "UTC" });
    return (await fetch(`/admin/sla/calendars/${id}`, { method: "POST", body })).status;
  }, [berlin.id, await a.locator('input[name="csrf"]').first().inputValue()]);
  assert.equal(res, 403);
  const after = await w.api("GET", `/calendars/${berlin.id}`, undefined, admin);
  assert.equal(after.name, "Berlin office");
});
