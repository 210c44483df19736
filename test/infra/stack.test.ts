/**
 * The synthesized stack, checked against the routing and schedule tables.
 * Synthesis (bundling + cdk-nag) runs once here; the checks live in modules by
 * concern so one slow synth serves them all.
 */
import { beforeAll } from "vitest";
import { describeBundles } from "./bundle-assertions";
import { describeDegradedModes } from "./degraded-assertions";
import { describeDeployedBundles } from "./deployed-bundle-assertions";
import { describeNag } from "./nag-assertions";
import { describePlatform } from "./platform-assertions";
import { describeRoutes } from "./route-assertions";
import { describeSchedules } from "./schedule-assertions";
import { SYNTH_TIMEOUT_MS, synthesize, type SynthContext } from "./synth";

const ctx = {} as SynthContext;

beforeAll(() => {
  ctx.synth = synthesize();
}, SYNTH_TIMEOUT_MS);

describeRoutes(ctx);
describeSchedules(ctx);
describePlatform(ctx);
describeDegradedModes(ctx);
describeNag(ctx);
describeBundles(ctx);
describeDeployedBundles(ctx);
