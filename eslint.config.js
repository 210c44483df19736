// Lint: recommended JS + typescript-eslint rules, plus guards against focused/skipped tests.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["node_modules/**", "cdk.out/**", "data/**", "coverage/**", "bench/results/**", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // `import { z }` makes esbuild keep zod's whole namespace (every locale) in each Lambda bundle.
      "no-restricted-syntax": ["error", { selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']", message: "Write `import * as z from \"zod\"`: the named import keeps all of zod in the bundles." }],
      "no-restricted-properties": [
        "error",
        { object: "it", property: "only", message: "Focused tests hide the rest of the suite." },
        { object: "describe", property: "only", message: "Focused tests hide the rest of the suite." },
        { object: "test", property: "only", message: "Focused tests hide the rest of the suite." },
        { object: "it", property: "skip", message: "A skipped test hides a missing behaviour or service." },
        { object: "describe", property: "skip", message: "A skipped test hides a missing behaviour or service." },
        { object: "test", property: "skip", message: "A skipped test hides a missing behaviour or service." },
      ],
    },
  },
);
