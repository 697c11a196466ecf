import { type FhirObject, objects, str } from "../fhir-json.ts";

function nonEmpty(value: unknown): boolean {
  return typeof value === "string" && value.trim() !== "";
}

/** Whether a Practitioner has a name with something in it (family, a given name or text). */
export function hasName(practitioner: FhirObject): boolean {
  return objects(practitioner, "name").some(
    ({ value }) =>
      nonEmpty(value.family) ||
      nonEmpty(value.text) ||
      (Array.isArray(value.given) && value.given.some((given) => nonEmpty(given))),
  );
}

/** Whether a resource has a telecom with system phone and a value. */
export function hasPhone(resource: FhirObject): boolean {
  return objects(resource, "telecom").some(({ value }) => str(value, "system") === "phone" && nonEmpty(value.value));
}
