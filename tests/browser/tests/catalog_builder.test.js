// The catalog's form builder: a manager adds a category and builds an item question by
// question (a choice, a question shown only for one answer, an approval stage, tasks);
// a row that cannot be read is refused on its row with everything kept; "Add a question"
// saves nothing; the requester then gets exactly that form, and the condition works.

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

test("a manager builds a request form and a requester fills it in", async () => {
  const admin = await w.token(ADMIN.email, ADMIN.password);
  await w.api("POST", "/teams", { name: "Service desk" }, admin);
  await w.api("POST", "/users", { email: "mona@example.test", name: "Mona Manager", password: PASSWORD, role: "manager" }, admin);
  await w.api("POST", "/users", { email: "rita@example.test", name: "Rita", password: PASSWORD, role: "requester" }, admin);

  const ctx = await w.context();
  const m = await ctx.newPage();
  await signIn(m, "mona@example.test", PASSWORD);
  await m.goto("/admin");
  await m.getByRole("link", { name: "Service catalog" }).click();
  await m.getByLabel("New category").fill("Hardware <b>& co</b>");
  await m.getByLabel("What belongs in it").fill("Screens, laptops, docks");
  await m.getByRole("button", { name: "Add category" }).click();
  await m.waitForURL(/notice=created/);
  assert.match(await m.locator("main").innerText(), /Hardware <b>& co<\/b>/, "markup shows as text");
  await m.getByRole("link", { name: "New item" }).click();

  await m.getByLabel("Name", { exact: true }).fill("Second monitor");
  await m.getByLabel("What the requester gets").fill("A second screen for your desk.");
  await m.getByLabel("Category").selectOption({ index: 1 });
  await m.getByLabel("Fulfilled by").selectOption({ label: "Service desk" });
  await m.getByLabel("Question 1", { exact: true }).fill("Size");
  await m.locator("#q0_key").fill("size");
  await m.locator("#q0_kind").selectOption("single_select");
  await m.locator('input[name="q0_required"]').check();
  await m.locator("#q0_options").fill('24 = 24 inch\n27 = 27 inch');
  // "Add a question" keeps everything and saves nothing.
  await m.getByRole("button", { name: "Add a question" }).click();
  assert.equal(await m.locator("#q0_options").inputValue(), "24 = 24 inch\n27 = 27 inch");
  assert.equal(await m.locator("ol.questions > li").count(), 3);
  assert.equal((await w.api("GET", "/catalog-items", undefined, admin)).items?.length ?? 0, 0);
  await m.getByLabel("Question 2", { exact: true }).fill("Why the big one?");
  await m.locator("#q1_key").fill("why");
  await m.locator("#q1_kind").selectOption("long_text");
  await m.locator('input[name="q1_required"]').check();
  await m.locator("#q1_when_field").fill("size");
  await m.locator("#q1_when_value").fill("27");
  // A third question with a label but a key the use case refuses.
  await m.getByLabel("Question 3", { exact: true }).fill("Colour");
  await m.locator("#q2_key").fill("not a key!");
  await m.getByLabel("Stage 1 name").fill("Manager");
  await m.getByLabel("Stage 1 approved by").selectOption("requester_manager");
  await m.getByLabel("Stage 1 hours to decide").fill("8");
  await m.getByLabel("Tasks created once approved, one per line").fill("Order the screen\nPut it on the desk");
  const [refused] = await Promise.all([
    m.waitForResponse((r) => r.request().method() === "POST"),
    m.getByRole("button", { name: "Save item" }).click(),
  ]);
  assert.equal(refused.status(), 422);
  assert.ok(await m.locator("#q2-error").isVisible(), "the message sits on the third question");
  assert.equal(await m.locator("#q1_when_value").inputValue(), "27", "everything else is kept");
  assert.equal(await m.getByLabel("Stage 1 hours to decide").inputValue(), "8");
  assert.equal(await snap(m, "admin-catalog-item"), 0, "the builder scrolls sideways at 375 px");
  // Drop the third question (an empty row is no question) and save.
  await m.getByLabel("Question 3", { exact: true }).fill("");
  await m.locator("#q2_key").fill("");
  await m.getByRole("button", { name: "Save item" }).click();
  await m.waitForURL(/\/admin\/catalog\?notice=created/);
  const row = m.locator("tr", { hasText: "Second monitor" });
  assert.match(await row.innerText(), /2\s+1\s+offered/);
  assert.equal(await snap(m, "admin-catalog"), 0);

  const items = await w.api("GET", "/catalog-items", undefined, admin);
  const item = (items.items || items).find((i) => i.name === "Second monitor");
  assert.deepEqual(item.form.fields.map((f) => f.key), ["size", "why"]);
  assert.deepEqual(item.form.fields[1].visible_when, { field: "size", op: { equals: "27" } });
  assert.equal(item.approval_policy.stages[0].approvers[0], "requester_manager");
  assert.deepEqual(item.task_template.tasks.map((t) => t.title), ["Order the screen", "Put it on the desk"]);

  // The requester gets that form; the second question follows the first answer.
  const rctx = await w.context();
  const r = await rctx.newPage();
  await signIn(r, "rita@example.test", PASSWORD);
  await r.goto(`/catalog/${item.id}`);
  const why = r.locator("#field-why");
  assert.equal(await why.isVisible(), false);
  await r.getByLabel("Size").selectOption("27");
  assert.equal(await why.isVisible(), true);

  // An item the API made with what the page does not show (a count of approvals, a text
  // length, a task's team) keeps all of it through a save in the builder.
  const desk = (await w.api("GET", "/teams", undefined, admin)).find((t) => t.name === "Service desk");
  const api = await w.api(
    "POST",
    "/catalog-items",
    {
      category_id: item.category_id,
      name: "Docking station",
      description: "USB-C dock.",
      owner_id: item.owner_id,
      fulfilment_team_id: desk.id,
      audience: { type: "restricted", roles: ["agent"] },
      form: {
        fields: [
          { key: "desk", label: "Desk number", required: true, type: "text", max_len: 12 },
          { key: "ports", label: "Which ports?", type: "multi_select", options: [{ value: "hdmi", label: "HDMI" }, { value: "dp", label: "DisplayPort" }] },
          { key: "cable", label: "Cable length", type: "text", visible_when: { field: "ports", op: { contains: "hdmi" } } },
        ],
      },
      task_template: { mode: "parallel", tasks: [{ title: "Hand over", team_id: desk.id }] },
      approval_policy: {
        stages: [{ name: "Two from the desk", approvers: [{ team: desk.id }], decision: { at_least: 2 }, due_hours: 16, on_timeout: "reject" }],
      },
    },
    admin,
  );
  await m.goto(`/admin/catalog/items/${api.id}`);
  assert.match(await m.locator("main").innerText(), /Two from the desk.*kept as it is/);
  await m.getByLabel("Name", { exact: true }).fill("Docking station (USB-C)");
  await m.getByRole("button", { name: "Save item" }).click();
  await m.waitForURL(/notice=saved/);
  const kept = await w.api("GET", `/catalog-items/${api.id}`, undefined, admin);
  assert.equal(kept.name, "Docking station (USB-C)");
  assert.deepEqual(kept.approval_policy.stages[0].decision, { at_least: 2 });
  assert.equal(kept.form.fields[0].max_len, 12);
  assert.equal(kept.task_template.tasks[0].team_id, desk.id);
  assert.equal(kept.task_template.mode, "parallel");
  assert.deepEqual(kept.audience, { type: "restricted", teams: [], roles: ["agent"] }, "a role-limited item stays limited");
  assert.deepEqual(kept.form.fields[2].visible_when, { field: "ports", op: { contains: "hdmi" } });

  // The requester cannot open the builder.
  assert.equal((await r.goto("/admin/catalog")).status(), 403);
  assert.equal((await r.goto(`/admin/catalog/items/${item.id}`)).status(), 403);
});
