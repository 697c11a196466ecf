import { asyncApiText } from "../../packages/bus/src/asyncapi.ts";
import { openApiText } from "../../services/gateway/src/openapi.ts";

/**
 * Further generated documents (OpenAPI, AsyncAPI) registered by the packages that own them.
 * Kept as a hook so that schemas/ does not depend on services: each entry returns [file name, text].
 */
export function extraGeneratedFiles(): Array<[string, string]> {
  return [
    ["openapi.json", openApiText()],
    ["asyncapi.json", asyncApiText()],
  ];
}
