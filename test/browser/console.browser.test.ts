import { mkdirSync } from "node:fs";
import { AuditRecord, type MessageLifecycle } from "@carehub/schemas";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, startHarness } from "../src/harness.ts";
import { freshHomecare, HOMECARE_CPR } from "../src/homecare-traffic.ts";

/**
 * The console as operators use it, in Debian's Chromium (headless, playwright-core) against a whole hub with
 * traffic flowing: each role signs in; the live counters move; a message is found by every key; its timeline
 * and payload open; a viewer is refused the payload and the patient search. A screenshot of every main view
 * goes to test/browser/screenshots/ (gitignored).
 */

const SCREENSHOTS = new URL("./screenshots/", import.meta.url).pathname;
const CHROMIUM = process.env.CAREHUB_CHROMIUM ?? "/usr/bin/chromium";

let h: Harness;
let consoleUrl: string;
let browser: Browser;
let traffic: { stop(): Promise<number> } | undefined;

/** The acute team sends a fresh observation every `everyMs` until stopped; resolves with how many were accepted. */
function startTraffic(everyMs: number): { stop(): Promise<number> } {
  let running = true;
  let accepted = 0;
  const loop = (async () => {
    while (running) {
      const response = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
      if (response.status === 202) accepted += 1;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return accepted;
    },
  };
}

async function signedIn(operator: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await page.goto(consoleUrl);
  await page.getByLabel("Operator access token").fill(h.token(operator));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("role").waitFor();
  expect(await page.getByTestId("role").textContent()).toBe(operator);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** A datetime-local value (the browser's zone is this process's) for an instant. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

async function auditRecords(): Promise<AuditRecord[]> {
  return (await h.streamMessages("audit")).map((m) => AuditRecord.parse(JSON.parse(Buffer.from(m.data).toString())));
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  h = await startHarness({
    // One attempt at the practice: a message sent while it is down is dead-lettered at once (the re-run).
    endpoints: defaultEndpoints().map((e) => (e.id === "practice" ? { ...e, maxDeliveryAttempts: 1 } : e)),
    services: ["tracker", "dispatcher", "router", "intake", "gateway", "console"],
    operators: ["operator", "viewer", "admin"],
    operatorRoles: { operator: "operator", viewer: "viewer", admin: "admin" },
  });
  consoleUrl = h.hub.consoleUrl ?? "";
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await traffic?.stop();
  await browser?.close();
  await h?.close();
});

describe("the console in Chromium", () => {
  it("refuses a wrong token at sign-in and says so", async () => {
    const page = await browser.newPage();
    await page.goto(consoleUrl);
    await page.getByLabel("Operator access token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("signs in no operator");
    await shot(page, "01-sign-in-refused");
    await page.close();
  });

  it("shows an operator the live counters moving with the traffic, and the hour charted", async () => {
    const page = await signedIn("operator");
    await page.getByText("live", { exact: true }).waitFor();
    const received = () => page.getByTestId("counter-received").textContent().then(Number);
    const before = await received();
    traffic = startTraffic(250);
    await expect.poll(received, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 3);
    await expect
      .poll(() => page.getByTestId("counter-delivered").textContent().then(Number), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await page.locator(".chart canvas").count()).toBe(1);
    await expect
      .poll(() => page.getByRole("table", { name: "Received by kind, last minute" }).textContent())
      .toContain("homecare-observation");
    await shot(page, "02-live-flow-operator");
    expect(await traffic.stop()).toBeGreaterThan(0);
    traffic = undefined;
    await page.close();
  });

  it("finds a message by every key, opens its timeline and its payload (operator), and records the view", async () => {
    const { body, messageId } = freshHomecare();
    const response = await h.send("acute-team", body, "application/fhir+json");
    expect(response.status).toBe(202);
    const hubId = ((await response.json()) as { id: string }).id;
    const record = await h.waitFor(async () => {
      const answer = await fetch(`${h.url}/v1/messages/${hubId}`, {
        headers: { authorization: `Bearer ${h.token("operator")}` },
      });
      const lifecycle = answer.status === 200 ? ((await answer.json()) as MessageLifecycle) : undefined;
      return lifecycle?.perReceiver[0]?.status === "delivered" ? lifecycle : undefined;
    }, "the message delivered");

    const page = await signedIn("operator");
    await page.getByRole("button", { name: "Messages" }).click();
    const received = Date.parse(record.receivedAt);
    const searches: Array<{ what: string; fill: (p: Page) => Promise<void> }> = [
      { what: "hub id", fill: (p) => p.getByLabel("Hub id").fill(hubId) },
      { what: "sender's message id", fill: (p) => p.getByLabel("Sender's message id").fill(messageId) },
      {
        what: "sender",
        fill: async (p) => void (await p.getByLabel("Sender", { exact: true }).selectOption("acute-team")),
      },
      {
        what: "receiver",
        fill: async (p) => void (await p.getByLabel("Receiver", { exact: true }).selectOption("practice")),
      },
      {
        what: "kind",
        fill: async (p) => void (await p.getByLabel("Kind", { exact: true }).selectOption("homecare-observation")),
      },
      {
        what: "status",
        fill: async (p) => void (await p.getByLabel("Status", { exact: true }).selectOption(record.status)),
      },
      {
        what: "time range",
        fill: async (p) => {
          await p.getByLabel("Received from").fill(localInput(received - 1_000));
          await p.getByLabel("Received until").fill(localInput(received + 1_000));
        },
      },
      { what: "patient", fill: (p) => p.getByLabel("Patient (CPR number)").fill(HOMECARE_CPR) },
    ];
    for (const search of searches) {
      await page.reload();
      await page.getByRole("button", { name: "Messages" }).click();
      await search.fill(page);
      await page.getByRole("button", { name: "Search" }).click();
      await expect.poll(() => page.locator("table.results").textContent(), { message: search.what }).toContain(hubId);
      if (search.what === "patient") await shot(page, "03-message-search-operator");
    }
    // No CPR number in any URL the console used.
    await page.getByRole("button", { name: hubId }).first().click();
    await page.getByRole("list", { name: "Timeline" }).waitFor();
    expect(await page.getByRole("list", { name: "Timeline" }).textContent()).toContain("delivered");
    expect(await page.getByTestId("detail-status").textContent()).toBe(record.status);
    await page.getByRole("button", { name: "Show payload" }).click();
    await expect.poll(() => page.getByTestId("payload").textContent()).toContain('"resourceType": "Bundle"');
    await shot(page, "04-message-timeline-payload");
    const views = (await auditRecords()).filter((r) => r.action === "message.payload" && r.resources[0]?.id === hubId);
    expect(views.map((r) => [r.actor, r.outcome.result])).toEqual([[{ type: "operator", id: "operator" }, "ok"]]);
    expect(JSON.stringify(await auditRecords())).not.toContain(HOMECARE_CPR);
    await page.close();
  });

  it("re-runs a dead letter to its receiver (operator): the new delivery follows in the timeline, linked, and is recorded", async () => {
    h.receiver("practice").setDown(true);
    const response = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
    const hubId = ((await response.json()) as { id: string }).id;
    await h.waitForEvents((e) => e.type === "dead-lettered" && e.hubId === hubId, 20_000);
    h.receiver("practice").setDown(false);

    const page = await signedIn("operator");
    await page.getByRole("button", { name: "Messages" }).click();
    await page.getByLabel("Hub id").fill(hubId);
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("button", { name: hubId }).click();
    await expect.poll(() => page.getByTestId("detail-status").textContent(), { timeout: 20_000 }).toBe("dead-lettered");
    await shot(page, "05-dead-letter-before-rerun");
    await page.getByRole("button", { name: "Re-run to practice" }).click();
    await expect.poll(() => page.getByTestId("notice").textContent()).toContain("Re-run to practice sent");
    // The record is read again until the delivery has come back through the events.
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: hubId }).click();
          return page.getByTestId("detail-status").textContent();
        },
        { timeout: 20_000 },
      )
      .toBe("delivered");
    const timeline = (await page.getByRole("list", { name: "Timeline" }).textContent()) ?? "";
    expect(timeline.indexOf("dead-lettered")).toBeLessThan(timeline.indexOf("replayed"));
    expect(timeline.indexOf("replayed")).toBeLessThan(timeline.lastIndexOf("delivered"));
    expect(await page.locator(".detail dl").textContent()).toContain(`Re-run of${hubId}`);
    await shot(page, "06-dead-letter-rerun");
    const reruns = (await auditRecords()).filter(
      (r) => r.action === "message.rerun" && r.resources.some((x) => x.id === hubId),
    );
    expect(reruns.map((r) => [r.actor, r.resources, r.query?.receiver, r.outcome.result])).toEqual([
      [{ type: "operator", id: "operator" }, [{ type: "message", id: hubId }], "practice", "ok"],
    ]);
    await page.close();
  });

  it("re-sends a delivered message to its receiver (operator) after a confirmation: a second delivery, linked", async () => {
    const response = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
    const hubId = ((await response.json()) as { id: string }).id;
    await h.waitForEvents((e) => e.type === "delivered" && e.hubId === hubId, 20_000);
    const atPractice = () =>
      h
        .receiver("practice")
        .accepted()
        .filter((d) => d.hubId === hubId).length;

    const page = await signedIn("operator");
    await page.getByRole("button", { name: "Messages" }).click();
    await page.getByLabel("Hub id").fill(hubId);
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("button", { name: hubId }).click();
    await expect.poll(() => page.getByTestId("detail-status").textContent(), { timeout: 20_000 }).toBe("delivered");
    // The first click only asks (catches a button that re-sends without the confirmation step).
    await page.getByRole("button", { name: "Re-send to practice" }).click();
    expect(atPractice()).toBe(1);
    await page.getByRole("button", { name: "Confirm re-send to practice" }).click();
    await expect.poll(() => page.getByTestId("notice").textContent()).toContain("Re-sent to practice");
    await expect.poll(atPractice, { timeout: 20_000 }).toBe(2);
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: hubId }).click();
          return page.getByRole("list", { name: "Timeline" }).textContent();
        },
        { timeout: 20_000 },
      )
      .toContain("replayed");
    await shot(page, "06b-delivered-message-resent");
    const resends = (await auditRecords()).filter(
      (r) => r.action === "message.resend" && r.resources.some((x) => x.id === hubId),
    );
    expect(resends.map((r) => [r.actor, r.query?.receiver, r.outcome.result])).toEqual([
      [{ type: "operator", id: "operator" }, "practice", "ok"],
    ]);
    await page.close();
  });

  it("re-runs many dead letters to one chosen receiver (operator): preview first, then confirm", async () => {
    h.receiver("practice").setDown(true);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
      ids.push(((await response.json()) as { id: string }).id);
    }
    for (const id of ids) await h.waitForEvents((e) => e.type === "dead-lettered" && e.hubId === id, 20_000);
    h.receiver("practice").setDown(false);
    const page = await signedIn("operator");
    await page.getByRole("button", { name: "Messages" }).click();
    await page.getByLabel("Status", { exact: true }).selectOption("dead-lettered");
    await expect
      .poll(async () => {
        await page.getByRole("button", { name: "Search" }).click();
        return page.locator("table.results").textContent();
      })
      .toContain(ids[1]);
    for (const id of ids) await page.getByLabel(`Select ${id}`).check();
    await page.getByLabel("Re-run to receiver").selectOption("practice");
    await page.getByRole("button", { name: "Preview re-run" }).click();
    await expect.poll(() => page.getByTestId("rerun-preview").textContent()).toContain("2 messages");
    // Nothing was sent by the preview.
    expect(
      h
        .receiver("practice")
        .accepted()
        .filter((d) => ids.includes(d.hubId ?? "")),
    ).toEqual([]);
    await shot(page, "12-rerun-many-preview");
    await page.getByRole("button", { name: "Confirm re-run of 2 to practice" }).click();
    await expect.poll(() => page.getByTestId("rerun-done").textContent()).toContain("Re-run 2 to practice");
    await h.waitFor(
      async () =>
        h
          .receiver("practice")
          .accepted()
          .filter((d) => ids.includes(d.hubId ?? "")).length === 2
          ? true
          : undefined,
      "both re-run deliveries",
    );
    await shot(page, "13-rerun-many-done");
    await page.close();
  });

  it("shows the boards by status and age, and the statistics per day with a chart and CSV", async () => {
    const page = await signedIn("viewer");
    await page.getByRole("button", { name: "Boards" }).click();
    await page.getByLabel("Endpoint").selectOption("practice");
    await page.getByTestId("board-referral").waitFor();
    expect(await page.getByTestId("board-course").textContent()).toContain("Package courses");
    await shot(page, "14-boards-viewer");
    await page.getByRole("button", { name: "Statistics" }).click();
    await expect.poll(() => page.getByTestId("stats-kind").textContent()).toContain("homecare-observation");
    await expect.poll(() => page.getByTestId("stats-analysis").textContent()).not.toContain("none");
    expect(await page.locator(".chart canvas").count()).toBe(1);
    const csv = await page.evaluate(async () => (await fetch("/api/statistics/periods.csv?period=month")).text());
    expect(csv.split("\r\n")[0]).toBe("month,endpoint,role,kind,status,count");
    await shot(page, "15-statistics-viewer");
    await page.close();
  });

  it("opens and closes an incident by hand (operator), and offers the log as CSV", async () => {
    const page = await signedIn("operator");
    await page.getByRole("button", { name: "Incidents" }).click();
    await page.getByLabel("Affected endpoint").selectOption("lab");
    await page.getByLabel("What is disrupted").fill("lab results arrive late");
    await page.getByRole("button", { name: "Open incident" }).click();
    const row = page.getByRole("row", { name: /lab results arrive late/ });
    await expect.poll(() => row.textContent()).toContain("open");
    await shot(page, "07-incident-open");
    await page.getByRole("button", { name: "Close incident: lab results arrive late" }).click();
    await expect.poll(() => row.textContent()).not.toContain("open");
    expect(await row.textContent()).toContain("manual");
    const csv = await page.evaluate(async () => (await fetch("/api/incidents.csv")).text());
    expect(csv).toMatch(/,manual,.*,lab,,operator:operator,operator:operator,lab results arrive late,/);
    await shot(page, "08-incident-closed");
    await page.close();
  });

  it("refuses a viewer the payload and the patient search, in the page and on the server", async () => {
    const page = await signedIn("viewer");
    await page.getByRole("button", { name: "Messages" }).click();
    expect(await page.getByLabel("Patient (CPR number)").count()).toBe(0);
    await page.getByLabel("Kind", { exact: true }).selectOption("homecare-observation");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("table.results button.link").first().click();
    const refused = page.getByRole("button", { name: "Show payload (not allowed for your role)" });
    expect(await refused.isDisabled()).toBe(true);
    await shot(page, "09-message-viewer");
    // What a viewer could send by hand is refused by the server, not only hidden.
    const hubId = (await page.locator("table.results button.link").first().textContent()) ?? "";
    const answers = await page.evaluate(
      async ({ hubId, cpr }) => {
        const payload = await fetch(`/api/messages/${hubId}/payload`);
        const patient = await fetch("/api/messages/search", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ patient: cpr }),
        });
        const codeOf = async (response: Response) => ((await response.json()) as { code: string }).code;
        return [payload.status, await codeOf(payload), patient.status, await codeOf(patient)];
      },
      { hubId, cpr: HOMECARE_CPR },
    );
    expect(answers).toEqual([403, "CAREHUB_ERR_CONSOLE_FORBIDDEN", 403, "CAREHUB_ERR_CONSOLE_FORBIDDEN"]);
    await page.close();
  });

  it("signs an admin in, shows the endpoints with their counters and circuits, and signs out", async () => {
    const page = await signedIn("admin");
    await shot(page, "10-live-flow-admin");
    await page.getByRole("button", { name: "Endpoints" }).click();
    await expect.poll(() => page.getByTestId("circuit-practice").textContent()).toBe("closed");
    expect(Number(await page.getByTestId("delivered-practice").textContent())).toBeGreaterThan(0);
    await shot(page, "11-endpoints-admin");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Operator access token").waitFor();
    await page.reload();
    await page.getByLabel("Operator access token").waitFor();
    await page.close();
  });
});
