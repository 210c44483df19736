/**
 * Secrets the functions read at run time. Values never appear in code or in the
 * template: the stack either imports an existing libSQL secret or creates one
 * with a placeholder URL that the operator overwrites (docs/deploy.md).
 */
import { Validations } from "aws-cdk-lib";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

export interface SecretsProps {
  prefix: string;
  /** ARN of an existing `{url, authToken}` secret; when absent one is created. */
  libsqlSecretArn?: string;
}

export class Secrets extends Construct {
  readonly libsql: secretsmanager.ISecret;
  readonly apiKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    if (props.libsqlSecretArn) {
      this.libsql = secretsmanager.Secret.fromSecretCompleteArn(this, "Libsql", props.libsqlSecretArn);
    } else {
      const created = new secretsmanager.Secret(this, "Libsql", {
        secretName: `${props.prefix}/libsql`,
        description: "libSQL connection {url, authToken}: replace the placeholder after the first deploy",
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ url: "libsql://replace-me.invalid" }),
          generateStringKey: "authToken",
          excludePunctuation: true,
        },
      });
      Validations.of(created).acknowledge({
        id: "AwsSolutions-SMG4",
        reason: "The libSQL token is issued by the database provider (Turso/sqld); it is rotated there and written here (docs/runbook.md), Secrets Manager cannot rotate it itself.",
      });
      this.libsql = created;
    }

    this.apiKey = new secretsmanager.Secret(this, "ApiKey", {
      secretName: `${props.prefix}/api-key`,
      description: "Key clients send in the x-api-key header",
      generateSecretString: {
        secretStringTemplate: "{}",
        generateStringKey: "apiKey",
        excludePunctuation: true,
        passwordLength: 48,
      },
    });
    Validations.of(this.apiKey).acknowledge({
      id: "AwsSolutions-SMG4",
      reason: "Rotating the API key breaks every client holding it; it is rotated by hand with notice (docs/runbook.md). The authorizer re-reads it every 5 minutes.",
    });
  }
}
