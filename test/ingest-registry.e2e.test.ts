import { readFileSync } from "node:fs";
import { hashToken } from "@carehub/registry";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, HUB_IDENTITY, startHarness } from "./src/harness.ts";

const homecare = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
);

describe("endpoint registry reload without restart (whole hub, watched file)", () => {
  let h: Harness;
  // Start without the acute team: its token is unknown until the registry file gains it.
  const withoutAcuteTeam = defaultEndpoints().filter((e) => e.id !== "acute-team");
  beforeAll(async () => {
    h = await startHarness({ registryFile: true, endpoints: defaultEndpoints() });
    await h.updateRegistry((registry) => ({
      ...registry,
      endpoints: registry.endpoints.filter((e) => withoutAcuteTeam.some((w) => w.id === e.id)),
    }));
  });
  afterAll(async () => {
    await h?.close();
  });

  it("takes a new endpoint into use when the file changes", async () => {
    expect((await h.send("acute-team", homecare, "application/fhir+json")).status).toBe(401);
    await h.updateRegistry((registry) => ({
      ...registry,
      endpoints: [
        ...registry.endpoints,
        {
          ...(defaultEndpoints().find((e) => e.id === "acute-team") as (typeof registry.endpoints)[number]),
          delivery: { mode: "http", url: h.receiver("acute-team").url },
          auth: { tokenSha256: [hashToken(h.token("acute-team"))] },
        },
      ],
    }));
    const response = await h.send("acute-team", homecare, "application/fhir+json");
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    // Intake sees the reloaded registry too: the message passes the sender check.
    await h.waitFor(
      async () =>
        (await h.streamMessages("pipeline")).some((m) => m.headers["Nats-Msg-Id"] === id) ? true : undefined,
      "the envelope on PIPELINE",
    );
  });

  it("refuses an invalid file and keeps the registry it has", async () => {
    const before = h.hub.registry.current();
    await h.writeRegistryText(
      JSON.stringify({ ...h.registry, rules: [{ id: "broken", when: {}, copyTo: ["nobody"] }] }),
    );
    // Give the watcher time to read and refuse it, then check nothing changed.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.hub.registry.current()).toBe(before);
    expect((await h.send("klamer", "<x/>", "application/xml")).status).toBe(202);
    // The watcher is alive and saw that write: the next valid file is taken.
    await h.updateRegistry((registry) => ({ ...registry, hub: { ...HUB_IDENTITY, name: "carehub (renamed)" } }));
    expect(h.hub.registry.current().hub.name).toBe("carehub (renamed)");
  });
});
