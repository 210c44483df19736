/**
 * Users on AWS (issue 15, finding 6): with an OIDC issuer in context (Cognito
 * by default, any issuer works), the per-user routes of the shared route
 * policy take API Gateway's JWT authorizer with that issuer and audience; the
 * public routes stay public and everything else keeps the API-key authorizer.
 * Runs its own synthesis (the stack test's has no issuer).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { App } from "aws-cdk-lib";
import { readConfig } from "@infra/lib/config";
import { PUBLIC_ROUTES, USER_ROUTES } from "@shared/security/routePolicy";
import { SYNTH_TIMEOUT_MS, resourcesOfType, synthesize, type Synthesized } from "./synth";

const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example1";
const AUDIENCE = "example-app-client-id";

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ context: { jwtIssuer: ISSUER, jwtAudience: AUDIENCE } });
}, SYNTH_TIMEOUT_MS);

describe("JWT authorizer for the per-user routes", () => {
  it("is a JWT authorizer on the configured issuer and audience, reading the bearer token", () => {
    synth.template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "JWT",
      JwtConfiguration: { Issuer: ISSUER, Audience: [AUDIENCE] },
      IdentitySource: ["$request.header.Authorization"],
    });
  });

  it("guards exactly the per-user routes; public routes stay public, the rest keep the API key", () => {
    const authorizers = resourcesOfType(synth.template, "AWS::ApiGatewayV2::Authorizer");
    const jwtId = Object.keys(authorizers).find((id) => authorizers[id]?.Properties?.AuthorizerType === "JWT")!;
    const routes = Object.values(resourcesOfType(synth.template, "AWS::ApiGatewayV2::Route")).map((r) => r.Properties ?? {});
    const byType = (t: string) => routes.filter((r) => r.AuthorizationType === t).map((r) => String(r.RouteKey)).sort();
    expect(byType("JWT")).toEqual(USER_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const r of routes.filter((x) => x.AuthorizationType === "JWT")) expect(r.AuthorizerId).toEqual({ Ref: jwtId });
    expect(byType("NONE")).toEqual(PUBLIC_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(byType("CUSTOM")).toEqual(["ANY /{proxy+}"]);
  });
});

describe("jwt context", () => {
  const configFrom = (context: Record<string, unknown>) => readConfig(new App({ context }).node);
  it("takes issuer and audience together, the issuer an https URL", () => {
    expect(configFrom({ jwtIssuer: ISSUER, jwtAudience: "a, b" })).toMatchObject({ jwtIssuer: ISSUER, jwtAudience: ["a", "b"] });
    expect(() => configFrom({ jwtIssuer: ISSUER })).toThrow(/together/);
    expect(() => configFrom({ jwtIssuer: "http://insecure.example", jwtAudience: "a" })).toThrow(/https/);
  });
});
