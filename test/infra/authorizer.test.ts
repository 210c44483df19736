/**
 * The API key authorizer: constant-time match, key read from Secrets Manager
 * and cached per container for a while, failing closed.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clearApiKeyCache, handler, keysMatch, parseApiKey } from "@functions/http/authorizer";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:alexandria/api-key-AbCdEf";

function eventWithKey(key?: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: "arn:aws:execute-api:eu-west-1:123456789012:abc/$default/GET/resources",
    identitySource: key ? [key] : [],
    routeKey: "ANY /{proxy+}",
    rawPath: "/resources",
    rawQueryString: "",
    cookies: [],
    headers: key === undefined ? {} : { "x-api-key": key },
    queryStringParameters: {},
    requestContext: {} as APIGatewayRequestAuthorizerEventV2["requestContext"],
    pathParameters: {},
    stageVariables: {},
  };
}

describe("keysMatch", () => {
  it("accepts the same key and rejects others, including prefixes and the empty key", () => {
    expect(keysMatch("s3cret-key", "s3cret-key")).toBe(true);
    expect(keysMatch("s3cret-ke", "s3cret-key")).toBe(false);
    expect(keysMatch("s3cret-key-longer", "s3cret-key")).toBe(false);
    expect(keysMatch("", "")).toBe(false);
  });
});

describe("parseApiKey", () => {
  it("reads the apiKey field of a JSON secret, or a plain string", () => {
    expect(parseApiKey('{"apiKey":"abc123"}')).toBe("abc123");
    expect(parseApiKey("  plain-key \n")).toBe("plain-key");
    expect(() => parseApiKey('{"other":"x"}')).toThrow(/apiKey/);
  });
});

describe("handler", () => {
  const env = { ...process.env };
  beforeEach(() => {
    clearApiKeyCache();
    vi.useRealTimers();
  });
  afterEach(() => {
    process.env = { ...env };
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  const stubSecret = (...answers: Array<string | Error>) => {
    const send = vi.spyOn(SecretsManagerClient.prototype, "send") as unknown as ReturnType<typeof vi.fn>;
    for (const answer of answers) {
      if (answer instanceof Error) send.mockRejectedValueOnce(answer);
      else send.mockResolvedValueOnce({ SecretString: answer });
    }
    return send;
  };

  it("denies a request without the header without reading the secret", async () => {
    const send = stubSecret();
    process.env.API_KEY_SECRET_ARN = SECRET_ARN;
    expect(await handler(eventWithKey(undefined))).toEqual({ isAuthorized: false });
    expect(send).not.toHaveBeenCalled();
  });

  it("reads the key from the named secret once and compares it", async () => {
    const send = stubSecret('{"apiKey":"right-key"}');
    process.env.API_KEY_SECRET_ARN = SECRET_ARN;

    expect(await handler(eventWithKey("right-key"))).toEqual({ isAuthorized: true });
    expect(await handler(eventWithKey("wrong-key"))).toEqual({ isAuthorized: false });
    expect(send).toHaveBeenCalledTimes(1);
    const command = send.mock.calls[0]?.[0] as GetSecretValueCommand;
    expect(command).toBeInstanceOf(GetSecretValueCommand);
    expect(command.input).toEqual({ SecretId: SECRET_ARN });
  });

  it("re-reads the secret after five minutes, so a rotated key takes over", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const send = stubSecret('{"apiKey":"old-key"}', '{"apiKey":"new-key"}');
    process.env.API_KEY_SECRET_ARN = SECRET_ARN;

    expect(await handler(eventWithKey("old-key"))).toEqual({ isAuthorized: true });
    vi.advanceTimersByTime(4 * 60 * 1000);
    expect(await handler(eventWithKey("new-key"))).toEqual({ isAuthorized: false });
    vi.advanceTimersByTime(2 * 60 * 1000);
    expect(await handler(eventWithKey("new-key"))).toEqual({ isAuthorized: true });
    expect(await handler(eventWithKey("old-key"))).toEqual({ isAuthorized: false });
    expect(send).toHaveBeenCalledTimes(2);
  });

  it("fails closed when the secret cannot be read, and tries again on the next request", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const send = stubSecret(new Error("AccessDeniedException"), "plain-key");
    process.env.API_KEY_SECRET_ARN = SECRET_ARN;

    expect(await handler(eventWithKey("plain-key"))).toEqual({ isAuthorized: false });
    expect(await handler(eventWithKey("plain-key"))).toEqual({ isAuthorized: true });
    expect(send).toHaveBeenCalledTimes(2);
  });

  it("uses API_KEY from the environment outside AWS, and denies everything when neither is set", async () => {
    delete process.env.API_KEY_SECRET_ARN;
    process.env.API_KEY = "local-key";
    expect(await handler(eventWithKey("local-key"))).toEqual({ isAuthorized: true });
    clearApiKeyCache();
    delete process.env.API_KEY;
    expect(await handler(eventWithKey(""))).toEqual({ isAuthorized: false });
    expect(await handler(eventWithKey("anything"))).toEqual({ isAuthorized: false });
  });
});
