/** toAwsCron: five-field cron to EventBridge Scheduler's six-field form. */
import { describe, expect, it } from "vitest";
import { toAwsCron } from "@shared/events/schedules";

describe("toAwsCron", () => {
  it.each([
    ["0 2 * * *", "cron(0 2 * * ? *)"],
    ["0 3 * * 0", "cron(0 3 ? * SUN *)"],
    ["0 0 1 * *", "cron(0 0 1 * ? *)"],
    ["0 4 * * *", "cron(0 4 * * ? *)"],
    ["*/5 * * * *", "cron(0/5 * * * ? *)"],
    ["* * * * *", "cron(* * * * ? *)"],
    ["30 6 * * 1-5", "cron(30 6 ? * MON-FRI *)"],
    ["0 12 * * 7", "cron(0 12 ? * SUN *)"],
  ])("turns %s into %s", (cron, expected) => {
    expect(toAwsCron(cron)).toBe(expected);
  });

  it("rejects anything but five fields", () => {
    expect(() => toAwsCron("0 2 * *")).toThrow(/five cron fields/);
    expect(() => toAwsCron("0 0 2 * * ?")).toThrow(/five cron fields/);
  });
});
