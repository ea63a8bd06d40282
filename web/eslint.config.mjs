// ESLint for the page's JavaScript (src/acgan/serve/static/); run from the checkout's root as `make lint` does:
// npx --prefix web eslint --config web/eslint.config.mjs src/acgan/serve/static. Undefined names are left to
// TypeScript (tsconfig.json), which knows the browser's globals.
import js from "@eslint/js";

export default [
  js.configs.recommended,
  {
    files: ["src/acgan/serve/static/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    rules: {
      "no-undef": "off",
      eqeqeq: "error",
      "prefer-const": "error",
      "no-var": "error",
      "no-shadow": "error",
      "no-implicit-coercion": ["error", { allow: ["!!"] }],
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "object-shorthand": "error",
      "prefer-template": "error",
      curly: ["error", "multi-line"],
      "max-len": ["error", { code: 120, ignoreUrls: true }],
    },
  },
];
