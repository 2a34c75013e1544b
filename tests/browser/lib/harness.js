// The browser tests' world: a real SMTP server (aiosmtpd with the API tests' JSON
// mailbox), a real `servicedesk serve` on a fresh SQLite file, and Debian's chromium
// driven by playwright-core. Every test file gets its own server, mailbox and browser.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../../..");
export const shots = join(root, "target", "screenshots");
export const ADMIN = { email: "admin@example.test", password: "admin-password-1" };
export const PASSWORD = "correct-horse-battery-1";

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

async function until(what, check, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class World {
  /// `args` go after `serve` (`["--demo"]` seeds the demo data); `env` overrides the
  /// server's environment (a rate limit, say).
  static async start({ args = [], env = {} } = {}) {
    const w = new World();
    w.dir = mkdtempSync(join(tmpdir(), "sd-browser-"));
    w.mailDir = join(w.dir, "mail");
    mkdirSync(w.mailDir);
    mkdirSync(shots, { recursive: true });
    const smtpPort = await freePort();
    w.smtp = spawn(
      "python3",
      ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${smtpPort}`, "-c", "sd_mailbox.Mailbox", w.mailDir],
      { env: { ...process.env, PYTHONPATH: join(root, "apps/servicedesk/tests/api/common") }, stdio: "inherit" },
    );
    const port = await freePort();
    w.base = `http://127.0.0.1:${port}`;
    const bin = process.env.SERVICEDESK_BIN || join(root, "target/debug/servicedesk");
    w.server = spawn(bin, ["serve", ...args], {
      env: {
        ...process.env,
        DATABASE_URL: join(w.dir, "servicedesk.db"),
        SERVICEDESK_BIND: `127.0.0.1:${port}`,
        SERVICEDESK_PUBLIC_URL: w.base,
        SERVICEDESK_ADMIN_EMAIL: ADMIN.email,
        SERVICEDESK_ADMIN_PASSWORD: ADMIN.password,
        SERVICEDESK_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        SERVICEDESK_RATE_LIMIT_PER_MINUTE: "0",
        RUST_LOG: "warn",
        ...env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    await until("the server", async () => {
      try {
        return (await fetch(`${w.base}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 60000);
    w.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    return w;
  }

  async stop() {
    await this.browser?.close();
    this.server?.kill("SIGTERM");
    this.smtp?.kill("SIGTERM");
  }

  /// A fresh browser profile (cookies of its own), at desktop size unless told.
  async context(viewport = { width: 1280, height: 860 }) {
    return this.browser.newContext({ viewport, baseURL: this.base });
  }

  /// The mails received so far, oldest first.
  mails() {
    return readdirSync(this.mailDir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(this.mailDir, f), "utf8")));
  }

  async mailTo(address, subjectPart) {
    return until(`a mail to ${address} about "${subjectPart}"`, () =>
      this.mails().find((m) => m.to.includes(address) && m.subject.toLowerCase().includes(subjectPart.toLowerCase())),
    );
  }

  /// The API as the admin (setting up what the journey is not about).
  async api(method, path, body, token) {
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return json;
  }

  async token(email, password) {
    return (await this.api("POST", "/auth/login", { email, password })).access_token;
  }
}

export async function signIn(page, email, password) {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
}

/// Screenshots at desktop and phone width, and the phone width's horizontal overflow.
export async function snap(page, name) {
  const before = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.screenshot({ path: join(shots, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(before);
  return overflow;
}

export { until };
