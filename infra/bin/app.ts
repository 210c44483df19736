/** CDK entry point (`cdk.json` runs it with tsx). */
import { buildApp } from "../lib/app-builder";

buildApp().app.synth();
