import { describe, expect, it } from "vitest";
import { errorClassOf } from "@shared/app/stageRuns";
import { PermanentError } from "@shared/errors";

describe("errorClassOf (the class a stage's last error shows)", () => {
  it("reads the class from the stack a ledger row keeps", () => {
    expect(errorClassOf(new PermanentError("refused").stack ?? null, "refused")).toBe("PermanentError");
    expect(errorClassOf(new TypeError("x is undefined").stack ?? null, "x is undefined")).toBe("TypeError");
  });
  it("falls back to an error code at the start of the message, then to Error", () => {
    expect(errorClassOf(null, "fetch_refused: the URL is not allowed")).toBe("fetch_refused");
    expect(errorClassOf(null, "something broke")).toBe("Error");
    expect(errorClassOf("", null)).toBe("Error");
  });
});
