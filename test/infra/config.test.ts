/** Deployment settings come from CDK context, validated, with safe defaults. */
import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { stackNameFor } from "@infra/lib/app-builder";
import { DEFAULT_CONFIG, readConfig } from "@infra/lib/config";

const configFrom = (context: Record<string, unknown>) => readConfig(new App({ context }).node);

describe("readConfig", () => {
  it("falls back to the defaults", () => {
    expect(configFrom({})).toEqual({ ...DEFAULT_CONFIG, alarmEmail: undefined, libsqlSecretArn: undefined });
  });

  it("reads strings and numbers given on the command line (-c key=value arrives as text)", () => {
    const config = configFrom({ prefix: "alexandria-staging", natGateways: "2", alarmEmail: "ops@example.com", apiRateLimit: 10 });
    expect(config).toMatchObject({ prefix: "alexandria-staging", natGateways: 2, alarmEmail: "ops@example.com", apiRateLimit: 10 });
  });

  it("rejects prefixes that would make invalid or colliding resource names, and bad numbers", () => {
    expect(() => configFrom({ prefix: "Alexandria" })).toThrow(/prefix/);
    expect(() => configFrom({ prefix: "a".repeat(40) })).toThrow(/prefix/);
    expect(() => configFrom({ natGateways: "-1" })).toThrow(/natGateways/);
    expect(() => configFrom({ apiBurstLimit: "many" })).toThrow(/apiBurstLimit/);
  });
});

describe("stackNameFor", () => {
  it("keeps the plain name for the default prefix and separates other stages", () => {
    expect(stackNameFor(DEFAULT_CONFIG.prefix)).toBe("NeoAlexandria");
    expect(stackNameFor("alexandria-staging")).toBe("NeoAlexandria-alexandria-staging");
  });
});
