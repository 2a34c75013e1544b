// Administration in the browser: the admin creates a team and an agent in it, builds a
// custom role in the permission grid and gives it to the agent, who signs in; signing a
// user out everywhere ends their open session; a deactivated user cannot sign in and the
// failure is listed; a role still held is not deleted; webhooks, settings and
// organizations; a requester gets 403, a POST without the CSRF token is refused, another
// organization's user is 404, and markup in a team name shows as text.

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

const TEAM = "Network <b>ops</b> <script>alert(1)</script>";

async function adminPage() {
  const ctx = await w.context();
  const page = await ctx.newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  return { ctx, page };
}

test("the admin creates a team, an agent in it and a custom role from the grid; the agent signs in", async () => {
  const { ctx, page } = await adminPage();
  await page.getByRole("link", { name: "Admin", exact: true }).click();
  await page.waitForURL(/\/admin$/);
  assert.equal(await snap(page, "admin-index"), 0);

  // A team whose name carries markup: shown as text, never as elements.
  await page.getByRole("link", { name: "Teams", exact: true }).first().click();
  await page.getByLabel("Name").fill(TEAM);
  await page.getByRole("button", { name: "Create team" }).click();
  await page.waitForURL(/\/admin\/teams\/[0-9a-f-]+\?notice=created/);
  assert.equal(await page.locator("h1").innerText(), TEAM);
  assert.equal(await page.locator("main b, main script").count(), 0, "the team name is text");

  // A refused form comes back with the input kept and the error beside its field.
  await page.goto("/admin/users/new");
  await page.getByLabel("Name").fill("Nina Network");
  await page.getByLabel("E-mail address").fill("nina@example.test");
  await page.getByLabel("Initial password").fill("short");
  await page.getByLabel("Role").selectOption("agent");
  await page.getByRole("checkbox", { name: TEAM }).check();
  await page.getByRole("button", { name: "Create user" }).click();
  assert.ok(await page.locator("#password-error").isVisible(), "a weak password is refused beside the field");
  assert.equal(await page.getByLabel("Name").inputValue(), "Nina Network");
  assert.ok(await page.getByRole("checkbox", { name: TEAM }).isChecked(), "the team choice is kept");
  assert.equal(await snap(page, "admin-user-new"), 0);
  await page.getByLabel("Initial password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create user" }).click();
  await page.waitForURL(/\/admin\/users\/[0-9a-f-]+\?notice=created/);
  const ninaUrl = new URL(page.url()).pathname;
  assert.match(await page.locator("main").innerText(), /nina@example\.test/);
  assert.match(await page.locator("dl.fields").innerText(), /Network <b>ops<\/b>/);

  // The list shows her with role, team, status and two-step state.
  await page.goto("/admin/users");
  const row = page.locator("#users tr", { hasText: "nina@example.test" });
  assert.match(await row.innerText(), /agent/);
  assert.match(await row.innerText(), /active/);
  assert.equal(await snap(page, "admin-users"), 0);

  // A custom role from the grid.
  await page.goto("/admin/roles");
  await page.getByRole("link", { name: "New role" }).click();
  await page.getByLabel("Name", { exact: true }).fill("triager");
  await page.getByLabel("Incident: read", { exact: true }).selectOption("org");
  await page.getByLabel("Incident: assign", { exact: true }).selectOption("group");
  await page.getByLabel("Incident: comment", { exact: true }).selectOption("org");
  await page.getByLabel("User: read", { exact: true }).selectOption("own");
  await page.getByLabel("Team: read", { exact: true }).selectOption("org");
  await page.getByRole("button", { name: "Create role" }).click();
  await page.waitForURL(/\/admin\/roles\/triager\?notice=created/);
  assert.equal(await page.getByLabel("Incident: read", { exact: true }).inputValue(), "org");
  assert.equal(await page.getByLabel("Incident: assign", { exact: true }).inputValue(), "group");
  assert.equal(await page.getByLabel("Incident: delete", { exact: true }).inputValue(), "");
  assert.equal(await snap(page, "admin-role"), 0);

  // A bad name is refused beside the field, the grid kept.
  await page.goto("/admin/roles/new");
  await page.getByLabel("Name", { exact: true }).fill("Not A Name");
  await page.getByLabel("KB article: read", { exact: true }).selectOption("org");
  await page.getByRole("button", { name: "Create role" }).click();
  assert.ok(await page.locator("#name-error").isVisible());
  assert.equal(await page.getByLabel("KB article: read", { exact: true }).inputValue(), "org");

  // Built-in roles are read-only.
  await page.goto("/admin/roles/agent");
  assert.equal(await page.locator("#grid select").count(), 0);
  assert.equal(await page.getByRole("button", { name: "Save permissions" }).count(), 0);

  // Give Nina the role.
  await page.goto(ninaUrl);
  await page.getByLabel("Role").selectOption("triager");
  await page.getByRole("button", { name: "Save role and manager" }).click();
  await page.waitForURL(/notice=saved/);
  assert.match(await page.locator("dl.fields").innerText(), /triager/);
  assert.equal(await snap(page, "admin-user"), 0);

  // A role still held is not deleted: the 409 message says why.
  await page.goto("/admin/roles/triager");
  await page.locator("summary", { hasText: "Delete…" }).click();
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.getByRole("button", { name: "Delete the role triager" }).click(),
  ]);
  assert.equal(res.status(), 409);
  assert.match(await page.locator(".alert").innerText(), /held by 1 user/);

  // Nina signs in with the new role.
  const nctx = await w.context();
  const nina = await nctx.newPage();
  await signIn(nina, "nina@example.test", PASSWORD);
  assert.doesNotMatch(await nina.locator("main").innerText(), /Something went wrong/);
  assert.equal(await nina.getByRole("link", { name: "Admin", exact: true }).count(), 0, "no Admin link for her");
  await nctx.close();
  await ctx.close();
});

test("signing out everywhere ends an open session; a deactivated user cannot sign in", async () => {
  const token = await w.token(ADMIN.email, ADMIN.password);
  const sam = await w.api("POST", "/users", { email: "sam@example.test", name: "Sam Signout", password: PASSWORD, role: "agent" }, token);
  const sctx = await w.context();
  const samPage = await sctx.newPage();
  await signIn(samPage, "sam@example.test", PASSWORD);
  await samPage.goto("/profile");
  assert.match(await samPage.locator("h1").innerText(), /Profile/);

  const { ctx, page } = await adminPage();
  await page.goto(`/admin/users/${sam.id}`);
  await page.getByRole("link", { name: "Sign out everywhere…" }).click();
  await page.waitForURL(/\/sign-out$/);
  assert.equal(await snap(page, "admin-confirm"), 0);
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await page.waitForURL(/notice=signed-out/);

  // Sam's open browser is signed out at the next request.
  await samPage.goto("/profile");
  assert.match(new URL(samPage.url()).pathname, /^\/sign-in/);

  // Deactivated: the sign-in is refused, and listed among the failed sign-ins.
  await page.goto(`/admin/users/${sam.id}`);
  await page.getByRole("button", { name: "Deactivate" }).click();
  await page.waitForURL(/notice=deactivated/);
  assert.match(await page.locator("dl.fields").innerText(), /deactivated/);
  await samPage.goto("/sign-in");
  await samPage.getByLabel("E-mail address").fill("sam@example.test");
  await samPage.getByLabel("Password").fill(PASSWORD);
  await samPage.getByRole("button", { name: "Sign in" }).click();
  await samPage.locator(".alert").waitFor();
  assert.match(new URL(samPage.url()).pathname, /^\/sign-in/);
  await page.goto("/admin/sign-ins");
  const row = page.locator("#failed-sign-ins tr", { hasText: "sam@example.test" });
  assert.match(await row.first().innerText(), /account deactivated/);
  assert.equal(await snap(page, "admin-sign-ins"), 0);

  // Reactivated, Sam signs in again.
  await page.goto(`/admin/users/${sam.id}`);
  await page.getByRole("button", { name: "Reactivate" }).click();
  await page.waitForURL(/notice=activated/);
  await signIn(samPage, "sam@example.test", PASSWORD);
  assert.match(await samPage.locator("h1").innerText(), /Hello, Sam/);
  await sctx.close();
  await ctx.close();
});

test("webhooks, dead letters, settings and organizations", async () => {
  const { ctx, page } = await adminPage();
  await page.goto("/admin/webhooks");
  await page.getByLabel("Name").fill("Chat");
  await page.getByLabel("URL").fill("not a url");
  await page.getByRole("checkbox", { name: "Every event" }).check();
  await page.getByRole("button", { name: "Create webhook" }).click();
  assert.ok(await page.locator("#url-error").isVisible(), "a bad URL is refused beside the field");
  assert.equal(await page.getByLabel("Name").inputValue(), "Chat");
  await page.getByLabel("URL").fill("https://hooks.example.com/services/T0/B0/secret-path");
  await page.getByLabel("Format").selectOption("slack");
  await page.getByRole("button", { name: "Create webhook" }).click();
  const secret = (await page.locator("#webhook-secret").innerText()).trim();
  assert.ok(secret.length >= 16, "the generated secret is shown once");
  const row = page.locator("#webhooks tr", { hasText: "Chat" });
  assert.match(await row.innerText(), /https:\/\/hooks\.example\.com/);
  assert.doesNotMatch(await row.innerText(), /secret-path/, "the path (a credential) is not shown");
  assert.equal(await snap(page, "admin-webhooks"), 0);
  await page.goto("/admin/webhooks");
  assert.equal(await page.locator("#webhook-secret").count(), 0, "the secret is not shown again");
  assert.equal(await page.locator("#webhooks tr", { hasText: "Chat" }).count(), 1);

  await page.goto("/admin/webhooks/dead-letters");
  assert.match(await page.locator("h1").innerText(), /Dead letters/);
  assert.equal(await snap(page, "admin-dead-letters"), 0);

  await page.goto("/admin/settings");
  await page.getByLabel("Close resolved tickets after (days)").fill("seven");
  await page.getByRole("button", { name: "Save settings" }).click();
  assert.ok(await page.locator("#auto_close_days-error").isVisible());
  assert.equal(await page.getByLabel("Close resolved tickets after (days)").inputValue(), "seven");
  await page.getByLabel("Close resolved tickets after (days)").fill("7");
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.waitForURL(/notice=saved/);
  assert.equal(await page.getByLabel("Close resolved tickets after (days)").inputValue(), "7");
  assert.equal(await snap(page, "admin-settings"), 0);

  await page.goto("/admin/organizations");
  await page.getByLabel("Name").fill("Other Org");
  await page.getByRole("button", { name: "Create organization" }).click();
  await page.waitForURL(/notice=created/);
  assert.match(await page.locator("#organizations").innerText(), /Other Org/);
  assert.equal(await snap(page, "admin-organizations"), 0);

  await page.goto("/admin/teams");
  assert.equal(await snap(page, "admin-teams"), 0);
  await page.locator("#teams a").first().click();
  assert.equal(await snap(page, "admin-team"), 0);
  await ctx.close();
});

test("a requester gets 403, a POST without the CSRF token is refused, another organization's user is 404", async () => {
  const token = await w.token(ADMIN.email, ADMIN.password);
  await w.api("POST", "/users", { email: "rita@example.test", name: "Rita Requester", password: PASSWORD, role: "requester" }, token);
  const rctx = await w.context();
  const rita = await rctx.newPage();
  await signIn(rita, "rita@example.test", PASSWORD);
  assert.equal(await rita.getByRole("link", { name: "Admin", exact: true }).count(), 0);
  for (const path of ["/admin", "/admin/users", "/admin/roles", "/admin/webhooks", "/admin/sign-ins", "/admin/organizations"]) {
    const res = await rita.goto(path);
    assert.equal(res.status(), 403, path);
  }
  assert.match(await rita.locator("h1").innerText(), /Not allowed/);
  assert.equal(await snap(rita, "admin-forbidden"), 0);
  // Her own session's token does not make her form an admin's.
  await rita.goto("/profile");
  const csrf = await rita.locator('meta[name="csrf-token"]').getAttribute("content");
  const r = await rita.request.post("/admin/teams", { form: { csrf, name: "Rita's team" }, maxRedirects: 0 });
  assert.equal(r.status(), 403);
  await rctx.close();

  const { ctx, page } = await adminPage();
  const forged = await page.request.post("/admin/teams", { form: { name: "Forged team" }, maxRedirects: 0 });
  assert.equal(forged.status(), 403, "no CSRF token, no team");
  const wrong = await page.request.post("/admin/teams", { form: { name: "Forged team", csrf: "x".repeat(43) }, maxRedirects: 0 });
  assert.equal(wrong.status(), 403);
  const teams = await w.api("GET", "/teams", undefined, token);
  assert.ok(!teams.some((t) => t.name === "Forged team" || t.name === "Rita's team"), "nothing was created");

  const orgs = await w.api("GET", "/organizations", undefined, token);
  const other = orgs.find((o) => o.name === "Other Org") ?? (await w.api("POST", "/organizations", { name: "Other Org 2" }, token));
  const stranger = await w.api("POST", "/users", { email: "olga@example.test", name: "Olga Other", password: PASSWORD, role: "agent", org_id: other.id }, token);
  for (const path of [`/admin/users/${stranger.id}`, `/admin/users/${stranger.id}/sign-out`, "/admin/users/not-an-id", "/admin/teams/00000000-0000-7000-8000-000000000000"]) {
    const res = await page.goto(path);
    assert.equal(res.status(), 404, path);
  }
  await page.goto("/admin");
  const csrf2 = await page.locator('meta[name="csrf-token"]').getAttribute("content");
  const cross = await page.request.post(`/admin/users/${stranger.id}/sign-out`, { form: { csrf: csrf2 }, maxRedirects: 0 });
  assert.equal(cross.status(), 404, "another organization's user cannot be signed out");
  await ctx.close();
});

/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret.
async function totp(secret, at = Date.now()) {
  const { createHmac } = await import("node:crypto");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

test("an admin resets the two-step verification of a user who lost their phone", async () => {
  const token = await w.token(ADMIN.email, ADMIN.password);
  const mo = await w.api("POST", "/users", { email: "mo@example.test", name: "Mo Lostphone", password: PASSWORD, role: "agent" }, token);
  const own = await w.token("mo@example.test", PASSWORD);
  const { secret } = await w.api("POST", "/auth/mfa/enable", { password: PASSWORD }, own);
  await w.api("POST", "/auth/mfa/confirm", { password: PASSWORD, code: await totp(secret) }, own);

  const { ctx, page } = await adminPage();
  await page.goto("/admin/users");
  assert.match(await page.locator("#users tr", { hasText: "mo@example.test" }).innerText(), /\bon\b/);
  await page.goto(`/admin/users/${mo.id}`);
  await page.getByRole("link", { name: "Reset two-step verification…" }).click();
  await page.waitForURL(/\/reset-mfa$/);
  assert.match(await page.locator("main").innerText(), /mo@example\.test/);
  await page.getByRole("button", { name: "Reset two-step verification" }).click();
  await page.waitForURL(/notice=mfa-reset/);
  assert.match(await page.locator("dl.fields").innerText(), /Two-step\s+off/);
  await ctx.close();

  // The password alone signs Mo in now.
  const mctx = await w.context();
  const mpage = await mctx.newPage();
  await signIn(mpage, "mo@example.test", PASSWORD);
  assert.match(await mpage.locator("h1").innerText(), /Hello, Mo/);
  await mctx.close();
});
