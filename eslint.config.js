// Type-aware linting: the rules that catch forgotten awaits in loops matter most here.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bench/results/**", "test/fixtures/handlers/compat_*/**"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  {
    files: ["test/**", "bench/**", "scripts/**", "handlers/**"],
    rules: { "no-console": "off" },
  },
  {
    files: ["eslint.config.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The dashboard's browser script, served as is (no build step): plain JS with browser globals.
    files: ["src/http/dashboard/assets/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: "script",
      globals: Object.fromEntries(
        ["window", "document", "location", "history", "sessionStorage", "fetch", "URL", "TextDecoderStream", "setTimeout", "setInterval", "console"].map((name) => [name, "readonly"]),
      ),
    },
    rules: { "no-undef": "error" },
  },
);
