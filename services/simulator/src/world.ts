import type { EndpointKind, HubIdentity } from "@carehub/schemas";
import { makeGln, makeSor, makeSyntheticCpr, makeYdernummer } from "./identities.ts";
import { createRandom, type Random } from "./random.ts";
import type { Scenario, SimRole } from "./scenario.ts";

/** One simulated endpoint: its registry id and the identity it uses in its messages. */
export interface SimEndpoint {
  id: string;
  name: string;
  role: SimRole;
  kind: EndpointKind;
  sor: string;
  gln: string;
  ydernummer?: string;
  /** For an acute team: the municipality it belongs to. */
  municipalityId?: string;
}

/** A synthetic patient: a CPR number that was never issued, a made-up name, a GP and a home municipality. */
export interface SimPatient {
  cpr: string;
  family: string;
  given: string;
  gpId: string;
  municipalityId: string;
}

export interface SimWorld {
  hub: HubIdentity;
  endpoints: SimEndpoint[];
  byId: ReadonlyMap<string, SimEndpoint>;
  byRole: Readonly<Record<SimRole, SimEndpoint[]>>;
  patients: SimPatient[];
}

const TOWNS: readonly (readonly [string, string])[] = [
  ["skodstrup", "Skødstrup"],
  ["agerskov", "Agerskov"],
  ["hilleroed", "Hillerød"],
  ["ribe", "Ribe"],
  ["skagen", "Skagen"],
  ["toender", "Tønder"],
  ["viborg", "Viborg"],
  ["holstebro", "Holstebro"],
  ["naestved", "Næstved"],
  ["koege", "Køge"],
  ["roskilde", "Roskilde"],
  ["horsens", "Horsens"],
  ["kolding", "Kolding"],
  ["nyborg", "Nyborg"],
  ["faaborg", "Faaborg"],
  ["middelfart", "Middelfart"],
  ["silkeborg", "Silkeborg"],
  ["randers", "Randers"],
  ["thisted", "Thisted"],
  ["skive", "Skive"],
  ["herning", "Herning"],
  ["grenaa", "Grenaa"],
  ["aabenraa", "Aabenraa"],
  ["soenderborg", "Sønderborg"],
];
const MUNICIPALITIES: readonly (readonly [string, string])[] = [
  ["aarhus", "Aarhus"],
  ["odense", "Odense"],
  ["aalborg", "Aalborg"],
  ["esbjerg", "Esbjerg"],
  ["vejle", "Vejle"],
  ["frederiksberg", "Frederiksberg"],
];
const HOSPITALS: readonly (readonly [string, string])[] = [
  ["auh-medicinsk", "Medicinsk Afdeling, Aarhus Universitetshospital"],
  ["ouh-ortopaedkirurgi", "Ortopædkirurgisk Afdeling, Odense Universitetshospital"],
  ["aauh-lungemedicin", "Lungemedicinsk Afdeling, Aalborg Universitetshospital"],
  ["sle-kardiologi", "Kardiologisk Afdeling, Sygehus Lillebælt"],
];
const LABS: readonly (readonly [string, string])[] = [
  ["kba-svendborg", "Klinisk Biokemisk Afdeling, Svendborg"],
  ["kba-viborg", "Klinisk Biokemisk Afdeling, Viborg"],
];
const FAMILY = [
  "Jensen",
  "Nielsen",
  "Hansen",
  "Pedersen",
  "Andersen",
  "Christensen",
  "Larsen",
  "Sørensen",
  "Rasmussen",
  "Jørgensen",
  "Madsen",
  "Kristensen",
];
const GIVEN = [
  "Karen",
  "Jens",
  "Anne",
  "Peter",
  "Kirsten",
  "Lars",
  "Hanne",
  "Michael",
  "Mette",
  "Henrik",
  "Inger",
  "Søren",
  "Birthe",
  "Niels",
];

function named(list: readonly (readonly [string, string])[], index: number): readonly [string, string] {
  const base = list[index % list.length] ?? ["endpoint", "Endpoint"];
  const round = Math.floor(index / list.length);
  return round === 0 ? base : [`${base[0]}-${round + 1}`, `${base[1]} ${round + 1}`];
}

/**
 * The region a scenario describes, with identities drawn from the seed: the same scenario and seed always
 * give the same endpoints, identifiers and patients.
 */
export function buildWorld(scenario: Scenario, seed: number | string): SimWorld {
  const random = createRandom(seed).fork("world");
  const ids = random.fork("identifiers");
  const claimed = new Set<string>();
  const unique = (make: (r: Random) => string) => {
    for (;;) {
      const value = make(ids);
      if (!claimed.has(value)) {
        claimed.add(value);
        return value;
      }
    }
  };
  const endpoint = (id: string, name: string, role: SimRole, kind: EndpointKind, extra: Partial<SimEndpoint> = {}) => ({
    id,
    name,
    role,
    kind,
    sor: unique(makeSor),
    gln: unique(makeGln),
    ...extra,
  });

  const hubSor = unique(makeSor);
  const hubGln = unique(makeGln);
  const hub: HubIdentity = { id: "carehub", name: "carehub (simulated region)", sor: hubSor, gln: hubGln };

  const endpoints: SimEndpoint[] = [];
  for (let i = 0; i < scenario.practices; i++) {
    const [slug, town] = named(TOWNS, i);
    endpoints.push(
      endpoint(`laegehuset-${slug}`, `Lægehuset ${town}`, "practice", "practice", {
        ydernummer: unique(makeYdernummer),
      }),
    );
  }
  for (let i = 0; i < scenario.municipalities; i++) {
    const [slug, name] = named(MUNICIPALITIES, i);
    endpoints.push(endpoint(`${slug}-kommune`, `${name} Kommune, Sundhed og Omsorg`, "municipality", "municipality"));
  }
  for (let i = 0; i < scenario.acuteTeams; i++) {
    const municipality = endpoints.filter((e) => e.role === "municipality")[i % Math.max(1, scenario.municipalities)];
    const [slug, name] = named(MUNICIPALITIES, i % Math.max(1, scenario.municipalities));
    const suffix = i >= scenario.municipalities ? `-${Math.floor(i / scenario.municipalities) + 1}` : "";
    endpoints.push(
      endpoint(`${slug}-akutteam${suffix}`, `Kommunal akutfunktion, ${name} Kommune`, "acute-team", "municipality", {
        ...(municipality === undefined ? {} : { municipalityId: municipality.id }),
      }),
    );
  }
  for (let i = 0; i < scenario.hospitals; i++) {
    const [slug, name] = named(HOSPITALS, i);
    endpoints.push(endpoint(slug, name, "hospital", "hospital"));
  }
  for (let i = 0; i < scenario.laboratories; i++) {
    const [slug, name] = named(LABS, i);
    endpoints.push(endpoint(slug, name, "laboratory", "laboratory"));
  }
  for (let i = 0; i < scenario.databanks; i++) {
    const suffix = i === 0 ? "" : `-${i + 1}`;
    endpoints.push(
      endpoint(`laboratoriedatabanken${suffix}`, "Den Nationale Laboratoriedatabase", "databank", "databank"),
    );
  }

  const byRole: Record<SimRole, SimEndpoint[]> = {
    practice: [],
    municipality: [],
    "acute-team": [],
    hospital: [],
    laboratory: [],
    databank: [],
  };
  for (const e of endpoints) byRole[e.role].push(e);

  const people = random.fork("patients");
  const cprs = new Set<string>();
  const patients: SimPatient[] = [];
  if (byRole.practice.length > 0 && byRole.municipality.length > 0) {
    while (patients.length < scenario.patients) {
      const cpr = makeSyntheticCpr(people);
      if (cprs.has(cpr)) continue;
      cprs.add(cpr);
      patients.push({
        cpr,
        family: people.pick(FAMILY),
        given: people.pick(GIVEN),
        gpId: people.pick(byRole.practice).id,
        municipalityId: people.pick(byRole.municipality).id,
      });
    }
  }
  return { hub, endpoints, byId: new Map(endpoints.map((e) => [e.id, e])), byRole, patients };
}
