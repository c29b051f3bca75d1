import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { renderSdkTypes, SDK_TYPES_PATH } from "../../../scripts/sdkTypes.ts";

describe("src/sdk/sdkTypes.generated.json", () => {
  test("matches_the_declarations_tsc_emits_from_src_sdk", () => {
    // On failure run: bun scripts/sdkTypes.ts
    expect(readFileSync(SDK_TYPES_PATH, "utf8")).toBe(renderSdkTypes());
  }, 60_000); // a tsc run
});
