/**
 * The HTTP API: one Lambda (middy router) behind API Gateway HTTP API, with a
 * Lambda authorizer checking `x-api-key` on every route except the public ones
 * and, when an OIDC issuer is configured, a JWT authorizer on the per-user
 * routes (both lists: shared/src/security/routePolicy.ts); access logs in
 * JSON, and stage throttling.
 */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer, HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { SERVICE_NAME } from "../config";
import { entries } from "../paths";
import { AppFunction, LAZY_MODULES } from "./app-function";
import type { Network } from "./network";
import { PUBLIC_ROUTES, USER_ROUTES } from "@shared/security/routePolicy";

/** Who may call what: the one list the local server reads too (shared/src/security/routePolicy.ts). */
export { PUBLIC_ROUTES, USER_ROUTES };

export const API_KEY_HEADER = "x-api-key";

export interface ApiProps {
  prefix: string;
  network: Network;
  environment: Record<string, string>;
  apiKeySecret: secretsmanager.ISecret;
  rateLimit: number;
  burstLimit: number;
  /** Users' tokens (any OIDC issuer; Cognito documented in docs/security.md). Absent: per-user routes need the API key. */
  jwt?: { issuer: string; audience: string[] };
}

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly handler: AppFunction;
  readonly authorizer: AppFunction;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.handler = new AppFunction(this, "Handler", {
      functionName: `${props.prefix}-api`,
      // Content updates run extraction in the request; PDF.js only loads if one ever needs it.
      lazyModules: LAZY_MODULES,
      entry: entries.api,
      description: "Neo Alexandria HTTP API",
      memoryMb: 1024,
      // API Gateway gives up after 30 s; a longer Lambda timeout would only burn money.
      timeout: Duration.seconds(29),
      network: { vpc: props.network.vpc, subnets: props.network.functionSubnets, securityGroup: props.network.functionSecurityGroup },
      environment: props.environment,
    });

    // Outside the VPC: it needs Secrets Manager only, and no route through the NAT gateway.
    this.authorizer = new AppFunction(this, "Authorizer", {
      functionName: `${props.prefix}-authorizer`,
      entry: entries.authorizer,
      description: "Checks the x-api-key header against the API key secret",
      memoryMb: 256,
      timeout: Duration.seconds(5),
      environment: { API_KEY_SECRET_ARN: props.apiKeySecret.secretArn, POWERTOOLS_SERVICE_NAME: SERVICE_NAME },
    });
    props.apiKeySecret.grantRead(this.authorizer.fn);

    const authorizer = new HttpLambdaAuthorizer("ApiKeyAuthorizer", this.authorizer.fn, {
      authorizerName: "api-key",
      identitySource: [`$request.header.${API_KEY_HEADER}`],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // Same key, same answer: API Gateway caches the decision instead of invoking us per request.
      resultsCacheTtl: Duration.minutes(5),
    });

    this.httpApi = new apigw.HttpApi(this, "HttpApi", {
      apiName: `${props.prefix}-api`,
      description: "Neo Alexandria knowledge library",
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });

    this.accessLogs = new logs.LogGroup(this, "AccessLogs", {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.httpApi.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            ip: "$context.identity.sourceIp",
            requestTime: "$context.requestTime",
            method: "$context.httpMethod",
            path: "$context.path",
            routeKey: "$context.routeKey",
            status: "$context.status",
            protocol: "$context.protocol",
            responseLength: "$context.responseLength",
            latencyMs: "$context.responseLatency",
            integrationLatencyMs: "$context.integrationLatency",
            integrationError: "$context.integrationErrorMessage",
            authorizerError: "$context.authorizer.error",
          }),
        ),
      },
    });

    const integration = new HttpLambdaIntegration("ApiIntegration", this.handler.fn);
    for (const route of PUBLIC_ROUTES) {
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method as apigw.HttpMethod],
        integration,
        authorizer: new apigw.HttpNoneAuthorizer(),
      });
      if (created) {
        Validations.of(created).acknowledge({
          id: "AwsSolutions-APIG4",
          reason: `${route.method} ${route.path} is public by design (health probe / API description); it reveals no library data.`,
        });
      }
    }
    // Per-user routes act for the caller: with an OIDC issuer configured, its JWT (the handler reads `sub`);
    // without one they stay behind the API key (the admin names the user).
    const userAuthorizer = props.jwt
      ? new HttpJwtAuthorizer("UserJwtAuthorizer", props.jwt.issuer, { authorizerName: "user-jwt", jwtAudience: props.jwt.audience })
      : authorizer;
    for (const route of USER_ROUTES) {
      this.httpApi.addRoutes({ path: route.path, methods: [route.method as apigw.HttpMethod], integration, authorizer: userAuthorizer });
    }
    // Everything else goes to the router inside the function, behind the authorizer.
    this.httpApi.addRoutes({ path: "/{proxy+}", methods: [apigw.HttpMethod.ANY], integration });
  }
}
