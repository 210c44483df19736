/**
 * Builds the CDK app exactly as `cdk synth` does, cdk-nag included, so the
 * tests check the same thing that gets deployed.
 */
import { App, Validations, type AppProps } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { Route } from "@shared/events/routing";
import type { Schedule } from "@shared/events/schedules";
import { DEFAULT_CONFIG, readConfig } from "./config";
import { NeoAlexandriaStack } from "./neo-alexandria-stack";

/** The default deployment keeps the plain name; other prefixes (stages) get their own stack. */
export function stackNameFor(prefix: string): string {
  return prefix === DEFAULT_CONFIG.prefix ? "NeoAlexandria" : `NeoAlexandria-${prefix}`;
}

export interface BuildOptions extends AppProps {
  routes?: readonly Route[];
  schedules?: readonly Schedule[];
}

export function buildApp(options: BuildOptions = {}): { app: App; stack: NeoAlexandriaStack } {
  const { routes, schedules, ...appProps } = options;
  const app = new App(appProps);
  const config = readConfig(app.node);
  // Environment-agnostic on purpose: synth needs no account, no credentials and no lookups.
  const stack = new NeoAlexandriaStack(app, stackNameFor(config.prefix), {
    config,
    routes,
    schedules,
    description: "Neo Alexandria: event-driven knowledge library (issue 5)",
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
