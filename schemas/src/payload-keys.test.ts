import { describe, expect, it } from "vitest";
import { parsePayloadKeys } from "./payload-keys.ts";

const KEY_A = Buffer.alloc(32, 1).toString("base64");
const KEY_B = Buffer.alloc(32, 2).toString("base64");

describe("parsePayloadKeys", () => {
  it("reads the keyring newest first", () => {
    expect(parsePayloadKeys(`k2: ${KEY_B} , k1:${KEY_A}`)).toEqual({
      value: [
        { id: "k2", base64: KEY_B },
        { id: "k1", base64: KEY_A },
      ],
    });
  });

  it("reports every bad item at once, without the key text", () => {
    const short = Buffer.alloc(16, 3).toString("base64");
    const result = parsePayloadKeys(`k1:${KEY_A},k1:${KEY_B},bad id:${KEY_A},k3:${short},k4`);
    expect(result).toEqual({
      problems: [
        'key 2: id "k1" is given more than once',
        'key 3: not <id>:<base64 key> with an id of 1 to 32 letters, digits, "-" or "_"',
        "key 4 (k3): the key is not 32 bytes in base64 (openssl rand -base64 32)",
        'key 5: not <id>:<base64 key> with an id of 1 to 32 letters, digits, "-" or "_"',
      ],
    });
    expect(JSON.stringify(result)).not.toContain(short);
    expect(JSON.stringify(result)).not.toContain(KEY_B);
  });
});
