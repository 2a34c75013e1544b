// Accounts in the browser: two-step verification set up from the profile (QR code, the
// first code, recovery codes shown once), signing in with the second step, and a password
// reset from the mailed link.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { World, ADMIN, PASSWORD, signIn, snap } from "../lib/harness.js";

let w;
before(async () => {
  w = await World.start();
});
after(async () => {
  await w?.stop();
});

/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret at `at` (ms).
function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, "0");
}

test("two-step verification from the profile, then sign-in with it", async () => {
  const admin = await w.token(ADMIN.email, ADMIN.password);
  await w.api("POST", "/users", { email: "ada@example.test", name: "Ada Agent", password: PASSWORD, role: "agent" }, admin);
  const ctx = await w.context();
  const page = await ctx.newPage();
  await signIn(page, "ada@example.test", PASSWORD);
  await page.getByRole("link", { name: "Ada Agent" }).click();
  await page.waitForURL(/\/profile/);
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Set up two-step verification" }).click();
  assert.equal(await page.locator(".qr svg").count(), 1, "the QR code is an inline SVG");
  assert.equal(await snap(page, "mfa-enrol"), 0);
  const secret = (await page.locator(".secret").innerText()).trim();
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  const codes = await page.locator(".codes code").allInnerTexts();
  assert.equal(codes.length, 10, "ten recovery codes are shown once");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/notice=signed-out/);

  // Signing in now asks for the second step; a wrong code is refused, a recovery code works.
  await page.getByLabel("E-mail address").fill("ada@example.test");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Code").waitFor();
  assert.equal(await snap(page, "mfa-step"), 0);
  await page.getByLabel("Code").fill("000000");
  await page.getByRole("button", { name: "Verify" }).click();
  assert.match(await page.locator(".alert").innerText(), /not right/);
  await page.getByLabel("Code").fill(codes[0]);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL((u) => u.pathname === "/");
  assert.match(await page.locator("h1").innerText(), /Hello, Ada Agent/);
  await ctx.close();
});

test("a password reset from the mailed link", async () => {
  const admin = await w.token(ADMIN.email, ADMIN.password);
  await w.api("POST", "/users", { email: "rob@example.test", name: "Rob", password: PASSWORD, role: "requester" }, admin);
  const ctx = await w.context();
  const page = await ctx.newPage();
  await page.goto("/sign-in");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("E-mail address").fill("rob@example.test");
  await page.getByRole("button", { name: "Send the link" }).click();
  await page.getByText("If the address has an account").waitFor();
  const mail = await w.mailTo("rob@example.test", "password");
  const link = (mail.text.match(/https?:\/\/\S+reset-password\?token=[^\s"<>]+/) || [])[0];
  assert.ok(link, mail.text);
  await page.goto(link);
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Set password" }).click();
  assert.ok(await page.locator("#password-error").isVisible(), "a weak password is refused next to the field");
  await page.getByLabel("New password").fill("a-much-better-password-2");
  await page.getByRole("button", { name: "Set password" }).click();
  await page.waitForURL(/notice=reset/);
  await signIn(page, "rob@example.test", "a-much-better-password-2");
  assert.match(await page.locator("h1").innerText(), /Hello, Rob/);
  await ctx.close();
});
