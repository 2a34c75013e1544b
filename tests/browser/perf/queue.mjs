// The console's queue on a big database (docs/performance.md, "The console's queue"):
// server time to render the agent queue (50 rows), bytes of its first load, and the time
// until it is usable in headless chromium. Not part of CI.
//
//   node perf/queue.mjs <release servicedesk binary> <SQLite file with the tickets> <org id>
//
// The SQLite file is one the store bench kept (SERVICEDESK_BENCH_KEEP=1): a million
// tickets in <org id>. The script copies nothing: run it on a copy.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

const [bin, db, org] = process.argv.slice(2);
if (!bin || !db || !org) {
  console.error("usage: node perf/queue.mjs <servicedesk binary> <sqlite file> <org id>");
  process.exit(2);
}
const port = await new Promise((ok) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => ok(p));
  });
});
const base = `http://127.0.0.1:${port}`;
const admin = { email: "perf-admin@example.test", password: "perf-admin-password-1" };
const server = spawn(bin, ["serve"], {
  env: {
    ...process.env,
    DATABASE_URL: db,
    SERVICEDESK_BIND: `127.0.0.1:${port}`,
    SERVICEDESK_PUBLIC_URL: base,
    SERVICEDESK_ADMIN_EMAIL: admin.email,
    SERVICEDESK_ADMIN_PASSWORD: admin.password,
    SERVICEDESK_RATE_LIMIT_PER_MINUTE: "0",
    RUST_LOG: "warn",
  },
  stdio: ["ignore", "inherit", "inherit"],
});
const stop = () => server.kill("SIGTERM");
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (i > 600) throw new Error("server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = async (method, path, body, token) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body && JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const root = (await api("POST", "/auth/login", admin)).access_token;
  // An organization admin inside the benchmark's organization (the first admin is a
  // platform admin and may create one there).
  const agent = { email: "perf-agent@example.test", password: "perf-agent-password-1" };
  await api("POST", "/users", { ...agent, name: "Perf Agent", role: "admin", org_id: org }, root).catch(() => {});

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const ctx = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 860 } });
  const page = await ctx.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("E-mail address").fill(agent.email);
  await page.getByLabel("Password").fill(agent.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/sign-in"));

  const path = "/queue?view=all&class=any";
  // Server time: the page alone, 200 times, with the session's cookies.
  const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const times = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { cookie } });
    await res.text();
    if (!res.ok) throw new Error(`queue answered ${res.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const pct = (p) => times[Math.min(times.length - 1, Math.floor(times.length * p))].toFixed(1);

  // First load in a fresh browser cache: every byte the page pulls, and when it is usable.
  const fresh = await browser.newContext({ baseURL: base, storageState: await ctx.storageState() });
  const p2 = await fresh.newPage();
  let bytes = 0;
  const seen = [];
  p2.on("response", async (r) => {
    try {
      const body = await r.body();
      bytes += body.length;
      seen.push(`${r.url().replace(base, "")} ${body.length}`);
    } catch {}
  });
  await p2.goto(path, { waitUntil: "load" });
  const usable = await p2.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return { domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd };
  });
  await p2.waitForTimeout(300);
  console.log(`queue page, 50 rows, 200 requests: p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms`);
  console.log(`first load: ${bytes} bytes uncompressed (${seen.join(", ")})`);
  console.log(`usable (DOMContentLoaded): ${usable.domContentLoaded.toFixed(0)} ms, load: ${usable.load.toFixed(0)} ms`);
  await browser.close();
} finally {
  stop();
}
