// Browser tests of the operator console: Debian's Chromium, headless, driven by playwright-core,
// against `relais serve` on a free loopback port with a temporary data directory seeded from
// tests/scenarios/spec-example.json (plus an admin for the set-up). Run by console/test/e2e.sh.
//
// Screenshots of the wizard, the approval and a timeline are written to docs/ (README.md).

import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..", "..");
const DOCS = join(ROOT, "docs");
const BIN = process.env.RELAIS_BIN ?? join(ROOT, "target", "debug", "relais");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];
const TIMEOUT = 15_000;

let server;
let base;
let data;
let browser;
const tokens = {};
const state = {};

function today(offsetDays = 0) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + offsetDays);
  return d.toISOString().slice(0, 10);
}

// The first check-in at least `minDays` out whose day `daysBefore` earlier is a weekday: the
// wizard's campaign sends Monday to Friday only, so a fixed offset would fail two days a week.
function checkInWithWeekdaySend(minDays, daysBefore) {
  for (let n = minDays; ; n++) {
    const send = new Date(`${today(n - daysBefore)}T12:00:00Z`).getUTCDay();
    if (send !== 0 && send !== 6) return n;
  }
}

async function api(user, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[user]}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const doc = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { doc, etag: response.headers.get("etag") };
}

/** A canonical PMS webhook, signed as SPEC 4 says: HMAC-SHA256 of "<timestamp>.<body>". */
async function webhook(propertyId, secret, payload) {
  const body = JSON.stringify(payload);
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
  const response = await fetch(`${base}/webhooks/pms/canonical/${propertyId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-relais-timestamp": String(ts), "x-relais-signature": `sha256=${sig}` },
    body,
  });
  assert.equal(response.status, 200, await response.text());
}

async function startServer() {
  data = mkdtempSync(join(tmpdir(), "relais-console-e2e-"));
  const scenario = JSON.parse(readFileSync(join(ROOT, "tests", "scenarios", "spec-example.json"), "utf8"));
  scenario.users.push({ id: "u-admin", role: "admin", name: "Set-up admin", email_notifications: false });
  scenario.users.push({ id: "u-view", role: "viewer", name: "Front desk" });
  const seed = join(data, "seed.json");
  writeFileSync(seed, JSON.stringify(scenario));
  const store = join(data, "store");
  server = spawn(BIN, ["serve", "--addr", "127.0.0.1:0", "--data", store, "--seed", seed], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RELAIS_LOG: "warn" },
  });
  let stderr = "";
  server.stderr.on("data", (chunk) => (stderr += chunk));
  base = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`relais serve did not start: ${stderr}`)), 30_000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`relais serve exited with ${code}: ${stderr}`)));
  });
  for (const user of ["u-ed", "u-ap", "u-admin", "u-view"]) {
    tokens[user] = execFileSync(BIN, ["token", "--data", store, "--user", user], { encoding: "utf8" }).trim();
  }
}

async function setUp() {
  // A property whose PMS delivers no booking-activity events, with an SMS-only chatbot.
  const property = await api("u-admin", "POST", "/properties", {
    name: "Casa Azul Sintra",
    time_zone: "Europe/Lisbon",
    check_in_time: "16:00",
    check_out_time: "11:00",
    pms: "custom_csv",
    units: [{ id: "s1", name: "Suite 1" }],
    quiet_hours: { start: "22:00", end: "07:30" },
  });
  state.csvProperty = property.doc.id;
  const chatbot = await api("u-admin", "POST", "/chatbots", {
    name: "Sintra SMS",
    property_ids: [state.csvProperty],
    languages: ["en", "fr"],
    sms: { sender: "+15550003333" },
  });
  state.csvChatbot = chatbot.doc.id;
  // Two booking-activity campaigns, approved, so that the timeline shows a sent and a held message.
  const common = {
    property_id: "p-lis",
    chatbot_id: "bot-1",
    period: { start: null, end: null },
    trigger: { type: "status_change" },
    target: { status: "confirmed" },
    channel: { primary: "sms", fallback: null },
  };
  const campaigns = [
    { ...common, category: "pre_stay", name: "Booking confirmed", messages: { en: { sms: { type: "text", body: "Thanks {{guest_first_name}}, see you on {{check_in_date}}!" } } } },
    {
      ...common,
      category: "arrival",
      name: "Arrival time known",
      messages: { en: { sms: { type: "text", body: "We expect you at {{eta}}." } } },
      message_conditions: [{ type: "eta_provided", value: true }],
    },
  ];
  for (const body of campaigns) {
    const created = await api("u-ed", "POST", "/campaigns", body);
    const submitted = await api("u-ed", "POST", `/campaigns/${created.doc.id}/submit`);
    assert.equal(submitted.doc.status, "pending");
    await api("u-ap", "POST", `/campaigns/${created.doc.id}/approve`);
  }
  // One more, submitted, for the approver to reject.
  const rejectMe = await api("u-ed", "POST", "/campaigns", {
    ...common,
    category: "other",
    name: "Spring festival",
    messages: { en: { sms: { type: "text", body: "The festival starts tomorrow!" } } },
  });
  await api("u-ed", "POST", `/campaigns/${rejectMe.doc.id}/submit`);
  state.rejectMe = rejectMe.doc.id;
}

const pages = [];

async function newPage(user, { heading = "Campaigns" } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB", timezoneId: "Europe/Lisbon" });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && !/status of (4\d\d)/.test(m.text()) && problems.push(`console: ${m.text()}`));
  page.problems = problems;
  pages.push(page);
  await page.goto(`${base}/`);
  await page.getByLabel("API token").fill(tokens[user]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
  return page;
}

/** Every form control on the page has an accessible label (screen-reader users can fill it). */
async function assertLabelled(page) {
  const unlabelled = await page.evaluate(() =>
    Array.from(document.querySelectorAll("main input, main select, main textarea"))
      .filter((el) => !el.disabled && el.type !== "hidden")
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
      .map((el) => el.outerHTML.slice(0, 120)),
  );
  assert.deepEqual(unlabelled, [], "form controls without a label");
}

async function shot(page, name) {
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: join(DOCS, name), fullPage: true });
}

const fieldError = (page, path) => page.locator(`[data-error-for="${path}"]`);

before(async () => {
  await startServer();
  await setUp();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterEach(async (t) => {
  // The last page of each test, for a look after a failure (console/test-results/, not committed).
  const page = pages.pop();
  pages.length = 0;
  if (page && !page.isClosed()) {
    mkdirSync(join(HERE, "..", "..", "test-results"), { recursive: true });
    const name = (t?.name ?? "test").replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
    await page.screenshot({ path: join(HERE, "..", "..", "test-results", `${name}.png`), fullPage: true }).catch(() => {});
    await page.context().close();
  }
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (data) rmSync(data, { recursive: true, force: true });
});

describe("operator console", { concurrency: false }, () => {
  test("an editor creates a campaign through the five steps, fixes a server error and submits it", async () => {
    const page = await newPage("u-ed");
    await page.getByRole("row", { name: /Welcome, 3 days out/ }).getByText("Active").waitFor();

    await page.getByRole("link", { name: "New campaign" }).click();
    await page.getByRole("heading", { name: "Step 1 of 5: Start your campaign" }).waitFor();
    await assertLabelled(page);

    // Nothing filled: the step says what is missing, next to the fields.
    await page.getByRole("button", { name: "Next" }).click();
    await fieldError(page, "category").waitFor();
    await fieldError(page, "name").waitFor();

    // Step 1: category, name with its live counter, property and chatbot (only those offered).
    await page.getByLabel(/^Arrival/).check();
    const name = page.getByLabel("Name", { exact: true });
    await name.fill("A name far too long for the forty character limit");
    await page.getByTestId("name-counter").getByText("49 characters: 9 over the limit of 40").waitFor();
    await name.fill("Arrival info, 2 days out");
    await page.getByTestId("name-counter").getByText("24 of 40 characters").waitFor();
    const properties = await page.getByLabel("Property").locator("option").allTextContents();
    assert.deepEqual(properties, ["Choose…", "Casa Azul Lisboa (Mews)", "Casa Azul Sintra (Custom CSV Configurations)"]);
    await page.getByLabel("Property").selectOption("p-lis");
    await page.getByLabel("Chatbot").selectOption("bot-1");

    // Unsaved progress is kept in the browser and can be resumed from the list.
    await page.getByRole("link", { name: "Campaigns" }).click();
    await page.getByText("You have an unsaved campaign in progress: “Arrival info, 2 days out”.").waitFor();
    await page.getByRole("link", { name: "Resume it" }).click();
    await page.getByRole("heading", { name: "Step 1 of 5: Start your campaign" }).waitFor();
    assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Arrival info, 2 days out");
    // Keyboard: Enter in the form moves to the next step.
    await page.getByLabel("Name", { exact: true }).press("Enter");

    // Step 2: Mews delivers events, so booking activity is offered; choose days and hours.
    await page.getByRole("heading", { name: "Step 2 of 5: Trigger" }).waitFor();
    await page.getByLabel(/Based on booking activity/).waitFor();
    await page.getByLabel("Until an end date").check();
    await page.getByLabel("End date", { exact: true }).fill(`${new Date().getFullYear() + 1}-12-31`);
    await page.getByLabel(/^Based on days and time/).check();
    await page.getByRole("checkbox", { name: "Saturday" }).uncheck();
    await page.getByRole("checkbox", { name: "Sunday" }).uncheck();
    await page.getByRole("checkbox", { name: "18:00" }).check();
    await page.getByTestId("trigger-sentence").getByText("Every Monday, Tuesday, Wednesday, Thursday and Friday at 10:00 and 18:00 (local time)").waitFor();
    await assertLabelled(page);
    await page.getByRole("button", { name: "Next" }).click();

    // Step 3: target in words, and conditions with the right operator and value inputs.
    await page.getByRole("heading", { name: "Step 3 of 5: Target" }).waitFor();
    await page.getByLabel("Reservation status").selectOption("confirmed");
    await page.getByLabel("Date", { exact: true }).selectOption("check_in");
    await page.getByLabel("Number of days").fill("2");
    await page.getByLabel("Sent").selectOption("before");
    await page.getByTestId("target-sentence").getByText("Confirmed bookings, 2 day(s) before the check-in").waitFor();
    const reservationConditions = page.getByTestId("reservation_conditions");
    await reservationConditions.getByLabel("Add a condition").selectOption("source");
    await reservationConditions.getByRole("button", { name: "Add" }).click();
    await reservationConditions.getByRole("checkbox", { name: "Direct" }).check();
    const messageConditions = page.getByTestId("message_conditions");
    await messageConditions.getByLabel("Add a condition").selectOption("guests_count");
    await messageConditions.getByRole("button", { name: "Add" }).click();
    assert.deepEqual(await messageConditions.getByLabel("Operator").locator("option").allTextContents(), ["is", "is not", "more than", "less than"]);
    await messageConditions.getByLabel("Operator").selectOption("more_than");
    await messageConditions.getByLabel("Number").fill("1");
    await messageConditions.getByLabel("Add a condition").selectOption("planned_arrival");
    await messageConditions.getByRole("button", { name: "Add" }).click();
    assert.deepEqual(await messageConditions.getByLabel("Operator").nth(1).locator("option").allTextContents(), ["before", "after"]);
    assert.equal(await messageConditions.getByLabel("Time (HH:MM)").getAttribute("type"), "time");
    await messageConditions.getByRole("button", { name: /Remove Planned arrival/ }).click();
    await assertLabelled(page);
    await page.getByRole("button", { name: "Next" }).click();

    // Step 4: SMS as the main channel offers no fallback; WhatsApp does, since bot-1 has SMS.
    await page.getByRole("heading", { name: "Step 4 of 5: Channel" }).waitFor();
    await page.getByRole("radio", { name: "SMS" }).check();
    await page.getByTestId("no-fallback").getByText("No alternative option when SMS is the main channel.").waitFor();
    assert.equal(await page.getByRole("checkbox", { name: /Send by SMS/ }).count(), 0);
    await page.getByRole("radio", { name: "WhatsApp" }).check();
    await page.getByRole("checkbox", { name: "Send by SMS if the WhatsApp message cannot be delivered" }).check();
    await page.getByRole("button", { name: "Next" }).click();

    // Step 5: English first; WhatsApp call to action and SMS, with counters, picker and preview.
    await page.getByRole("heading", { name: "Step 5 of 5: Messages" }).waitFor();
    const en = page.locator('section[data-language="en"]');
    const enWa = en.locator('[data-channel="whatsapp"]');
    await enWa.getByLabel(/Text \+ call to action/).check();
    const waBody = enWa.getByLabel("WhatsApp message (en)");
    await waBody.fill("Hi , your room is ready from  on ");
    // The variable picker inserts {{name}} (with an optional default) at the caret.
    await waBody.evaluate((el) => el.setSelectionRange(3, 3));
    await enWa.getByLabel("Variable", { exact: true }).selectOption("guest_first_name");
    await enWa.getByLabel("Default text (optional)").fill("there");
    await enWa.getByRole("button", { name: "Insert" }).click();
    const afterFirst = await waBody.inputValue();
    assert.equal(afterFirst, "Hi {{guest_first_name|there}}, your room is ready from  on ");
    await waBody.evaluate((el) => el.setSelectionRange(el.value.length - 4, el.value.length - 4));
    await enWa.getByLabel("Variable", { exact: true }).selectOption("check_in_time");
    await enWa.getByRole("button", { name: "Insert" }).click();
    await waBody.evaluate((el) => el.setSelectionRange(el.value.length, el.value.length));
    await enWa.getByLabel("Variable", { exact: true }).selectOption("check_in_date");
    await enWa.getByRole("button", { name: "Insert" }).click();
    await waBody.press("End");
    await waBody.pressSequentially(".");
    assert.equal(await waBody.inputValue(), "Hi {{guest_first_name|there}}, your room is ready from {{check_in_time}} on {{check_in_date}}.");
    const waLength = (await waBody.inputValue()).length;
    await enWa.getByTestId("counter").getByText(`${waLength} of 640 characters`).waitFor();
    await enWa.getByTestId("preview-whatsapp").getByText(/^Hi Ana, your room is ready from 16:30 on \d{1,2} \w+ \d{4}\.$|^Hi Ana, your room is ready from 16:30 on \w+ \d{1,2}, \d{4}\.$/).waitFor();
    await enWa.getByLabel("Title").fill("Directions");
    await enWa.getByLabel("URL (https)").fill("http://casa-azul.example/map");

    const enSms = en.locator('[data-channel="sms"]');
    await enSms.getByLabel("SMS message (en)").fill("Hi {{guest_first_name}}, your room is ready. Balance: {{balance_due}} €");
    await enSms.getByTestId("sms-parts").getByText(/1 SMS part\(s\), GSM-7/).waitFor();

    // Add French, one of the chatbot's languages.
    await page.getByLabel("Add a language").selectOption("fr");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    const fr = page.locator('section[data-language="fr"]');
    await fr.locator('[data-channel="whatsapp"]').getByLabel("WhatsApp message (fr)").fill("Bonjour {{guest_first_name}}, votre chambre est prête le {{check_in_date}}.");
    await fr.locator('[data-channel="whatsapp"]').getByTestId("preview-whatsapp").getByText(/Bonjour Ana, votre chambre est prête le \d{1,2} \S+ \d{4}\./).waitFor();
    const frSms = fr.locator('[data-channel="sms"]');
    await frSms.getByLabel("SMS message (fr)").fill("Bonjour {{guest_first_name}}, votre chambre est prête. À bientôt !");
    await frSms.getByTestId("sms-parts").getByText(/UCS-2/).waitFor();
    await frSms.getByTestId("sms-parts").getByText(/Characters outside GSM-7: ê À ô/).waitFor();
    await assertLabelled(page);

    // Submit: the server refuses the http:// URL; its error shows next to the URL field.
    await page.getByRole("button", { name: "Submit" }).click();
    const urlError = fieldError(page, "messages.en.whatsapp.buttons[0].url");
    await urlError.getByText(/is not an https URL/).waitFor();
    await page.locator(".error-summary").getByText("messages.en.whatsapp.buttons[0].url").waitFor();
    assert.equal(await enWa.getByLabel("URL (https)").getAttribute("aria-invalid"), "true");
    const describedBy = await enWa.getByLabel("URL (https)").getAttribute("aria-describedby");
    assert.ok(describedBy.includes(await urlError.getAttribute("id")), "the error is tied to its input");
    await shot(page, "console-wizard-error.png");

    // Fix it, save the draft (stored on the server), and resume it after a reload.
    await enWa.getByLabel("URL (https)").fill("https://casa-azul.example/map");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Draft saved.").waitFor();
    await page.waitForURL(/#\/campaigns\/cmp_[0-9a-f]+\/edit$/);
    state.created = decodeURIComponent(page.url().match(/#\/campaigns\/([^/]+)\/edit/)[1]);
    await page.reload();
    await page.getByRole("heading", { name: /Edit “Arrival info, 2 days out”/ }).getByText("Draft").waitFor();
    await page.getByRole("button", { name: /5\s*Messages/ }).click();
    await page.locator('section[data-language="fr"]').waitFor();
    assert.equal(await page.locator('section[data-language="en"] [data-channel="whatsapp"]').getByLabel("URL (https)").inputValue(), "https://casa-azul.example/map");
    await page.locator('section[data-language="en"] [data-channel="whatsapp"]').getByLabel("WhatsApp message (en)").scrollIntoViewIfNeeded();
    await shot(page, "console-wizard.png");

    // Submit: pending, and the creator's console notification.
    await page.getByRole("button", { name: "Submit" }).click();
    await page.getByRole("heading", { level: 1, name: /Arrival info, 2 days out/ }).getByText("Pending approval").waitFor();
    await page.getByText("This campaign waits for an approver. It sends nothing until it is approved.").waitFor();
    await page.getByTestId("notifications-link").click();
    await page.getByTestId("notifications").getByText("Campaign \"Arrival info, 2 days out\" submitted for approval").waitFor();
    assert.deepEqual(page.problems, []);
  });

  test("booking activity is not offered for a property whose PMS has no events", async () => {
    const page = await newPage("u-ed");
    await page.goto(`${base}/#/campaigns/new`);
    await page.getByLabel(/^Other/).check();
    await page.getByLabel("Name", { exact: true }).fill("Sintra check-in reminder");
    await page.getByLabel("Property").selectOption(state.csvProperty);
    await page.getByLabel("Chatbot").selectOption(state.csvChatbot);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: "Step 2 of 5: Trigger" }).waitFor();
    const triggers = await page.getByTestId("trigger-options").getByRole("radio").evaluateAll((els) => els.map((e) => e.value));
    assert.deepEqual(triggers, ["schedule", "relative"]);
    await page.getByTestId("no-events").getByText("Custom CSV Configurations does not deliver booking-activity events").waitFor();
    // An SMS-only chatbot: SMS is the only channel and no fallback is offered.
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: "Step 4 of 5: Channel" }).waitFor();
    assert.deepEqual(await page.getByTestId("primary-channels").getByRole("radio").evaluateAll((els) => els.map((e) => e.value)), ["sms"]);
    await page.getByTestId("no-fallback").waitFor();
    assert.equal(await page.getByRole("checkbox", { name: /Send by SMS/ }).count(), 0);
    // French interface.
    await switchLanguage(page, "u-ed", "fr");
    await page.getByRole("heading", { name: "Étape 4 sur 5 : Canal" }).waitFor();
    await page.getByText("Pas d'option alternative quand le SMS est le canal principal.").waitFor();
    await switchLanguage(page, "u-ed", "en");
    assert.deepEqual(page.problems, []);
  });

  test("an approver reviews, approves one campaign and rejects another with a reason", async () => {
    const page = await newPage("u-ap");
    await page.getByRole("link", { name: "Approvals" }).click();
    await page.getByRole("heading", { name: "Approvals", level: 1 }).waitFor();
    const row = page.getByRole("row", { name: /Arrival info, 2 days out/ });
    await row.getByText("Pending approval").waitFor();
    await row.getByRole("link", { name: /Review/ }).click();
    // Read-only summary and message previews.
    await page.getByText("Confirmed bookings, 2 day(s) before the check-in").waitFor();
    await page.getByText("WhatsApp, with SMS fallback").waitFor();
    await page.getByText("Number of guests more than 1").waitFor();
    await page.locator(".message-previews figure").first().waitFor();
    // Recipient preview as a table (a reservation arriving in 2 days is due today or tomorrow).
    await webhook("p-lis", "s3cret", reservation("r-preview", "direct", today(3), today(6), { adults: 2 }));
    await page.getByLabel("Days ahead").fill("7");
    await page.getByRole("button", { name: "Show recipients" }).click();
    await page.getByTestId("recipients").getByRole("row", { name: /r-preview/ }).waitFor();
    await shot(page, "console-approval.png");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("heading", { level: 1, name: /Arrival info, 2 days out/ }).getByText("Active").waitFor();
    // Its WhatsApp templates, one per language (the local runner's outbox approves them at once).
    await page.getByTestId("templates").getByText("English (en): approved by Meta").waitFor();
    await page.getByTestId("templates").getByText("French (fr): approved by Meta").waitFor();

    // Reject: a reason is required.
    await page.goto(`${base}/#/campaigns/${state.rejectMe}`);
    await page.getByRole("button", { name: "Reject the campaign" }).click();
    await page.locator("#reject-reason-error").getByText("Required.").waitFor();
    await page.getByLabel("Reason for the rejection (shown to the creator)").fill("Say which day the festival starts.");
    await page.getByRole("button", { name: "Reject the campaign" }).click();
    await page.getByTestId("rejection").getByText("Rejected: Say which day the festival starts.").waitFor();
    assert.deepEqual(page.problems, []);
  });

  test("the editor sees the campaign active, the rejection reason and the notifications", async () => {
    const page = await newPage("u-ed");
    await page.getByRole("row", { name: /Arrival info, 2 days out/ }).getByText("Active").waitFor();
    const rejected = page.getByRole("row", { name: /Spring festival/ });
    await rejected.getByText("Rejected").waitFor();
    await rejected.getByText("Reason: Say which day the festival starts.").waitFor();
    // Filters by status and property.
    await page.getByLabel("Status").selectOption("active");
    await page.getByRole("row", { name: /Spring festival/ }).waitFor({ state: "detached" });
    await page.getByRole("row", { name: /Arrival info/ }).waitFor();
    await page.getByLabel("Property").selectOption(state.csvProperty);
    await page.getByText("No campaign matches these filters.").waitFor();
    await page.getByTestId("notifications-link").click();
    await page.getByText("Campaign \"Arrival info, 2 days out\" approved").waitFor();
    await page.getByText("Campaign \"Spring festival\" rejected").waitFor();
    assert.deepEqual(page.problems, []);
  });

  test("a reservation's timeline says why each message was sent, held or planned", async () => {
    const checkIn = checkInWithWeekdaySend(4, 2);
    await webhook("p-lis", "s3cret", reservation("r-ana", "direct", today(checkIn), today(checkIn + 3), { adults: 2 }));
    const page = await newPage("u-ed");
    await page.getByRole("link", { name: "Reservations" }).click();
    await page.getByLabel("Reservation id (the PMS's)").fill("r-ana");
    await page.getByRole("button", { name: "Open its timeline" }).click();
    await page.getByRole("heading", { name: "Reservation r-ana" }).waitFor();
    const timeline = page.getByTestId("timeline");
    const sent = timeline.locator("li.message", { hasText: "Booking confirmed" });
    await sent.locator("h3").getByText("Sent", { exact: true }).waitFor();
    const held = timeline.locator("li.message", { hasText: "Arrival time known" });
    await held.locator(".why").getByText("Waiting: the condition “Arrival time (ETA) provided” does not hold yet.", { exact: false }).waitFor();
    const planned = timeline.locator("li.message", { hasText: "Arrival info, 2 days out" });
    await planned.locator("h3").getByText("Scheduled", { exact: true }).waitFor();
    await planned.locator(".why").getByText("Planned: it will be sent at its due time if the conditions hold then.").waitFor();
    await sent.locator("details summary").click();
    await shot(page, "console-timeline.png");
    assert.deepEqual(page.problems, []);
  });

  test("quick-reply buttons pick the chatbot's FAQs and flows; the fully-paid warning excludes Airbnb", async () => {
    const page = await newPage("u-ed");
    await page.goto(`${base}/#/campaigns/new`);
    await page.getByRole("heading", { name: "Step 1 of 5: Start your campaign" }).waitFor();
    await page.getByLabel(/^Arrival/).check();
    await page.getByLabel("Name", { exact: true }).fill("Arrival buttons");
    await page.getByLabel("Property").selectOption("p-lis");
    await page.getByLabel("Chatbot").selectOption("bot-1");
    await page.getByRole("button", { name: "Next" }).click();

    // Step 2: the quiet-hours field says what the property's quiet hours are (Lisboa has none).
    await page.getByRole("heading", { name: "Step 2 of 5: Trigger" }).waitFor();
    await page.getByTestId("quiet-hours-line").getByText("Casa Azul Lisboa has no quiet hours: messages go out when due, whichever you choose.").waitFor();
    assert.equal(await page.getByRole("radio", { name: /^Respect the quiet hours/ }).isChecked(), true);
    await page.getByRole("button", { name: "Next" }).click();

    // Step 3: "fully paid" comes with the seed's Airbnb warning, in English and in French,
    // and a button that excludes Airbnb through the source condition.
    await page.getByRole("heading", { name: "Step 3 of 5: Target" }).waitFor();
    const messageConditions = page.getByTestId("message_conditions");
    await messageConditions.getByLabel("Add a condition").selectOption("fully_paid");
    await messageConditions.getByRole("button", { name: "Add" }).click();
    const warning = page.getByTestId("fully-paid-warning");
    await warning.getByText("Airbnb bookings count as fully paid only 24 hours after arrival", { exact: false }).waitFor();
    await switchLanguage(page, "u-ed", "fr");
    await warning.getByText("Les réservations Airbnb ne sont considérées comme entièrement payées que 24 heures après l'arrivée", { exact: false }).waitFor();
    await warning.getByRole("button", { name: "Exclure les réservations Airbnb" }).waitFor();
    await switchLanguage(page, "u-ed", "en");
    await warning.getByRole("button", { name: "Exclude Airbnb bookings" }).click();
    await warning.getByTestId("airbnb-excluded").getByText("Airbnb bookings are excluded by the reservation conditions.").waitFor();
    const reservationConditions = page.getByTestId("reservation_conditions");
    assert.equal(await reservationConditions.getByLabel("Operator").inputValue(), "not_in");
    assert.equal(await reservationConditions.getByRole("checkbox", { name: "Airbnb" }).isChecked(), true);
    await assertLabelled(page);
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByRole("heading", { name: "Step 4 of 5: Channel" }).waitFor();
    await page.getByRole("radio", { name: "WhatsApp" }).check();
    await page.getByRole("button", { name: "Next" }).click();

    // Step 5: each button picks an FAQ or a flow of bot-1's catalogue (no free-text ids).
    await page.getByRole("heading", { name: "Step 5 of 5: Messages" }).waitFor();
    const enWa = page.locator('section[data-language="en"] [data-channel="whatsapp"]');
    await enWa.getByLabel(/Text \+ quick reply/).check();
    await enWa.getByLabel("WhatsApp message (en)").fill("Welcome {{guest_first_name}}! Anything we can help with?");
    assert.equal(await enWa.locator('input[data-field$=".flow_id"], input[data-field$=".faq_id"]').count(), 0, "no free-text id");
    const first = enWa.getByRole("group", { name: "Button 1" });
    await first.getByLabel("Title").fill("Parking?");
    assert.deepEqual(await first.getByLabel("When tapped").locator("option").allTextContents(), ["Choose an FAQ or a flow…", "FAQ: Is there parking?", "Flow: Online check-in"]);
    await first.getByLabel("When tapped").selectOption({ label: "FAQ: Is there parking?" });
    await enWa.getByRole("button", { name: "Add a button" }).click();
    const second = enWa.getByRole("group", { name: "Button 2" });
    await second.getByLabel("Title").fill("Check in online");
    // Submitting with a button that names nothing says so next to its picker.
    await page.getByRole("button", { name: "Submit" }).click();
    await fieldError(page, "messages.en.whatsapp.buttons[1].flow_id").getByText("Required.").waitFor();
    assert.equal(await second.getByLabel("When tapped").getAttribute("aria-invalid"), "true");
    await second.getByLabel("When tapped").selectOption({ label: "Flow: Online check-in" });
    await enWa.getByTestId("preview-whatsapp").getByText("Check in online").waitFor();
    await assertLabelled(page);
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Draft saved.").waitFor();
    await page.waitForURL(/#\/campaigns\/cmp_[0-9a-f]+\/edit$/);
    const id = decodeURIComponent(page.url().match(/#\/campaigns\/([^/]+)\/edit/)[1]);

    // What the server stored.
    const { doc } = await api("u-ed", "GET", `/campaigns/${id}`);
    assert.deepEqual(doc.messages.en.whatsapp.buttons, [
      { title: "Parking?", faq_id: "faq-1" },
      { title: "Check in online", flow_id: "flow-checkin" },
    ]);
    assert.deepEqual(doc.reservation_conditions, [{ type: "source", op: "not_in", value: ["airbnb"] }]);
    assert.deepEqual(doc.message_conditions, [{ type: "fully_paid", value: true }]);
    assert.equal(doc.quiet_hours ?? "respect", "respect");

    // Reloaded, the pickers show what is stored.
    await page.reload();
    await page.getByRole("button", { name: /5\s*Messages/ }).click();
    assert.equal(await page.locator('section[data-language="en"] [data-channel="whatsapp"]').getByRole("group", { name: "Button 2" }).getByLabel("When tapped").inputValue(), "flow_id:flow-checkin");
    assert.deepEqual(page.problems, []);
  });

  test("a campaign may ignore the property's quiet hours, which the wizard states", async () => {
    const page = await newPage("u-ed");
    await page.goto(`${base}/#/campaigns/new`);
    await page.getByLabel(/^Arrival/).check();
    await page.getByLabel("Name", { exact: true }).fill("Door code, late arrivals");
    await page.getByLabel("Property").selectOption(state.csvProperty);
    await page.getByLabel("Chatbot").selectOption(state.csvChatbot);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: "Step 2 of 5: Trigger" }).waitFor();
    await page.getByTestId("quiet-hours-line").getByText("Casa Azul Sintra has quiet hours from 22:00 to 07:30 (local time, Europe/Lisbon).").waitFor();
    await page.getByRole("radio", { name: /^Ignore the quiet hours/ }).check();
    await assertLabelled(page);
    await switchLanguage(page, "u-ed", "fr");
    await page.getByTestId("quiet-hours-line").getByText("Casa Azul Sintra a des heures calmes de 22:00 à 07:30 (heure locale, Europe/Lisbon).").waitFor();
    await page.getByRole("radio", { name: /^Ignorer les heures calmes/ }).waitFor();
    await switchLanguage(page, "u-ed", "en");
    for (const n of [3, 4, 5]) {
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByRole("heading", { name: new RegExp(`^Step ${n} of 5`) }).waitFor();
    }
    await page.getByLabel("SMS message (en)").fill("Your door code is 4321.");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Draft saved.").waitFor();
    await page.waitForURL(/#\/campaigns\/cmp_[0-9a-f]+\/edit$/);
    const id = decodeURIComponent(page.url().match(/#\/campaigns\/([^/]+)\/edit/)[1]);
    assert.equal((await api("u-ed", "GET", `/campaigns/${id}`)).doc.quiet_hours, "ignore");

    // Reloaded: still "ignore"; the campaign page says so, with the property's hours.
    await page.reload();
    await page.getByRole("button", { name: /2\s*Trigger/ }).click();
    assert.equal(await page.getByRole("radio", { name: /^Ignore the quiet hours/ }).isChecked(), true);
    // And back to "respect": the stored campaign loses the field (the default).
    await page.getByRole("radio", { name: /^Respect the quiet hours/ }).check();
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Draft saved.").waitFor();
    assert.equal((await api("u-ed", "GET", `/campaigns/${id}`)).doc.quiet_hours ?? "respect", "respect");
    await page.goto(`${base}/#/campaigns/${id}`);
    await page.getByTestId("summary-quiet-hours").getByText("Respected (22:00–07:30)").waitFor();
    assert.deepEqual(page.problems, []);
  });

  test("custom yes/no fields: shown to all, set and cleared by editors, the operator's value winning", async () => {
    // An active campaign held until the reservation is a VIP.
    const created = await api("u-ed", "POST", "/campaigns", {
      category: "arrival",
      name: "VIP welcome",
      property_id: "p-lis",
      chatbot_id: "bot-1",
      period: { start: null, end: null },
      trigger: { type: "status_change" },
      target: { status: "confirmed" },
      channel: { primary: "sms", fallback: null },
      messages: { en: { sms: { type: "text", body: "A bottle of wine waits in your room." } } },
      message_conditions: [{ type: "custom_field", key: "vip", value: true }],
    });
    await api("u-ed", "POST", `/campaigns/${created.doc.id}/submit`);
    await api("u-ap", "POST", `/campaigns/${created.doc.id}/approve`);
    await webhook("p-lis", "s3cret", reservation("r-vip", "direct", today(5), today(8), { custom_fields: { vip: false, pool: true } }));

    // A viewer sees the fields and cannot change them.
    const viewer = await newPage("u-view");
    await viewer.goto(`${base}/#/reservations/r-vip`);
    await viewer.getByRole("heading", { name: "Reservation r-vip" }).waitFor();
    const viewerFields = viewer.getByTestId("custom-fields");
    assert.deepEqual(await viewerFields.locator('tr[data-field="vip"] td').allTextContents(), ["No", "—", "No"]);
    assert.deepEqual(await viewerFields.locator('tr[data-field="pool"] td').allTextContents(), ["Yes", "—", "Yes"]);
    assert.equal(await viewerFields.locator("select, input").count(), 0);
    await viewerFields.getByText("Editors and above can set these fields.").waitFor();
    assert.deepEqual(viewer.problems, []);
    await viewer.context().close();

    const page = await newPage("u-ed");
    await page.goto(`${base}/#/reservations/r-vip`);
    await page.getByRole("heading", { name: "Reservation r-vip" }).waitFor();
    const vipMessage = page.getByTestId("timeline").locator("li.message", { hasText: "VIP welcome" });
    await vipMessage.locator("h3").getByText("Waiting", { exact: true }).waitFor();
    await vipMessage.locator(".why").getByText("Waiting: the condition “Custom field” does not hold yet.", { exact: false }).waitFor();
    const fields = page.getByTestId("custom-fields");
    await assertLabelled(page);

    // Set vip: the operator's value wins, the timeline refreshes and the held message goes out.
    await fields.getByLabel("Operator value of vip").selectOption("true");
    await fields.getByRole("status").getByText("Saved: vip is now “Yes”.").waitFor();
    const vip = fields.locator('tr[data-field="vip"] td');
    await vip.nth(2).getByText("Yes (overrides the PMS)", { exact: true }).waitFor();
    assert.equal(await vip.nth(0).textContent(), "No");
    assert.equal(await fields.getByLabel("Operator value of vip").inputValue(), "true");
    await page.getByTestId("events").getByText("u-ed set vip to “Yes”").waitFor();
    await vipMessage.locator("h3").getByText("Sent", { exact: true }).waitFor();
    let timeline = (await api("u-ed", "GET", "/reservations/r-vip/messages")).doc;
    assert.deepEqual(timeline.operator_custom_fields, { vip: true });
    assert.deepEqual(timeline.custom_fields, { pool: true, vip: true });
    assert.equal(timeline.messages.find((m) => m.campaign_name === "VIP welcome").state, "sent");

    // A bad field name: the server's error, nothing stored; then a new field.
    await fields.getByLabel("Field name").fill("late checkout");
    await fields.getByLabel("Value", { exact: true }).selectOption("false");
    await fields.getByRole("button", { name: "Set the field" }).click();
    await fields.getByRole("alert").getByText(/late checkout: .*without spaces/).waitFor();
    assert.equal(await fields.getByLabel("Field name").getAttribute("aria-invalid"), "true");
    await fields.getByLabel("Field name").fill("late_checkout");
    await fields.getByRole("button", { name: "Set the field" }).click();
    await fields.getByRole("status").getByText("Saved: late_checkout is now “No”.").waitFor();
    await fields.locator('tr[data-field="late_checkout"] td').nth(2).getByText("No", { exact: true }).waitFor();

    // Clear vip: the PMS's value applies again.
    await fields.getByLabel("Operator value of vip").selectOption("");
    await fields.getByRole("status").getByText("Cleared: the PMS's value of vip applies again.").waitFor();
    await page.getByTestId("events").getByText("u-ed cleared vip (the PMS's value applies)").waitFor();
    await fields.locator('tr[data-field="vip"] td').nth(2).getByText("No", { exact: true }).waitFor();
    timeline = (await api("u-ed", "GET", "/reservations/r-vip/messages")).doc;
    assert.deepEqual(timeline.operator_custom_fields, { late_checkout: false });
    assert.deepEqual(timeline.pms_custom_fields, { pool: true, vip: false });
    assert.equal(timeline.events.filter((e) => e.kind === "custom_field").length, 3);
    await shot(page, "console-custom-fields.png");
    assert.deepEqual(page.problems, []);
  });

  test("a user's settings: own language and e-mail notifications, and the console starts in that language", async () => {
    const page = await newPage("u-ed");
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Your settings", level: 1 }).waitFor();
    await page.getByText("User u-ed · e-mail: ed@example.com").waitFor();
    assert.equal(await page.getByRole("radio", { name: "English" }).isChecked(), true);
    const emails = page.getByRole("checkbox", { name: "E-mail me when my campaigns are submitted, approved or rejected" });
    assert.equal(await emails.isChecked(), true);
    await assertLabelled(page);
    await page.getByRole("radio", { name: "Français" }).check();
    await emails.uncheck();
    await page.getByRole("button", { name: "Save" }).click();
    // Saved: the console now speaks French, and the server keeps both settings.
    await page.getByRole("heading", { name: "Vos paramètres", level: 1 }).waitFor();
    await page.getByText("Paramètres enregistrés.").waitFor();
    let me = (await api("u-ed", "GET", "/me")).doc;
    assert.equal(me.language, "fr");
    assert.equal(me.email_notifications, false);

    // Signing in again, in a browser whose language is English: French, from /me.
    const again = await newPage("u-ed", { heading: "Campagnes" });
    assert.equal(await again.evaluate(() => document.documentElement.lang), "fr");
    await again.getByRole("link", { name: "Paramètres" }).click();
    assert.equal(await again.getByRole("checkbox", { name: /M'envoyer un e-mail/ }).isChecked(), false);
    // The header's switch is the same setting.
    await switchLanguage(again, "u-ed", "en");
    await again.getByRole("heading", { name: "Your settings", level: 1 }).waitFor();
    await expectEventually(() => again.getByRole("radio", { name: "English" }).isChecked());
    await again.getByRole("checkbox", { name: /E-mail me/ }).check();
    await again.getByRole("button", { name: "Save" }).click();
    await again.getByText("Settings saved.").waitFor();
    me = (await api("u-ed", "GET", "/me")).doc;
    assert.equal(me.language, "en");
    assert.equal(me.email_notifications, true);
    assert.deepEqual(page.problems, []);
    assert.deepEqual(again.problems, []);
    await page.context().close();
  });
});

/** The header's language switch, which is the user's setting: wait until the API has it. */
async function switchLanguage(page, user, language) {
  await page.locator("#ui-language").selectOption(language);
  await expectEventually(async () => (await api(user, "GET", "/me")).doc.language === language);
}

/** Wait until `check` holds (for a request the page sends without showing its answer). */
async function expectEventually(check, timeout = TIMEOUT) {
  const until = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition never held");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function reservation(id, source, checkIn, checkOut, extra = {}) {
  const now = new Date().toISOString();
  return {
    event_id: `evt-${id}-${Date.now()}`,
    occurred_at: now,
    reservation: {
      id,
      property_id: "p-lis",
      unit_id: "101",
      source,
      status: "confirmed",
      check_in: checkIn,
      check_out: checkOut,
      guest: { first_name: "Ana", last_name: "Silva", email: `${id}@example.com`, phone: "+351912345678", language: "en-GB", hometown: "Porto" },
      adults: 2,
      children: 0,
      total_amount: "450.00",
      host_payout: "400.00",
      balance_due: "0.00",
      currency: "EUR",
      check_in_form_submitted: false,
      updated_at: now,
      ...extra,
    },
  };
}
