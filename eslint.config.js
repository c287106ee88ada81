// Lint that needs the types: promises that nobody awaits or handles, promises passed where a
// callback's result is ignored, `export *` (the public surface is named exports only), and value
// imports of the built-ins src/internal/builtins.ts requires.
// Run: npm run lint (npm test runs it too).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/**', 'examples/**', 'scripts/**', '*.config.*'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // Directives for rules this config does not enable are left alone.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Name each export (no `export *`): the public API is explicit.' }],
    },
  },
  {
    // An ES-module import of these built-ins runs their lazy getters (node:http's loads undici on
    // Node 22+): the package takes them from src/internal/builtins.ts. Types may still be imported.
    files: ['src/**/*.ts'],
    ignores: ['src/internal/builtins.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        ...['node:http', 'node:fs', 'node:util', 'http', 'fs', 'util'].map((name) => ({
          name,
          allowTypeImports: true,
          message: 'Take it from src/internal/builtins.ts: importing it as an ES module runs its lazy getters (docs/import-cost.md).',
        })),
      ],
    },
  },
);
