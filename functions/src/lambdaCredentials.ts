/**
 * What the AWS SDK clients in a Lambda bundle use instead of
 * `@aws-sdk/credential-provider-node` (esbuild alias in
 * infra/lib/constructs/app-function.ts): the execution role's credentials,
 * which Lambda puts in the environment — the first link of the SDK's own
 * default chain, and the only one that applies on Lambda. The rest of that
 * chain (SSO, profiles, web identity, process, IMDS, and the STS/SSO clients
 * they carry) was ~105 kB of every bundle that each cold start compiled and
 * never ran.
 */
interface EnvironmentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export function defaultProvider(): () => Promise<EnvironmentCredentials> {
  return async () => {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken, AWS_CREDENTIAL_EXPIRATION: expiration } = process.env;
    if (!accessKeyId || !secretAccessKey) throw new Error("no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): this bundle runs on Lambda only");
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}), ...(expiration ? { expiration: new Date(expiration) } : {}) };
  };
}
