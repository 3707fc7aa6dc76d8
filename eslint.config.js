// ESLint (flat config): typescript-eslint's recommended rules, without type information (fast), over the
// service, its tests, the benchmarks and the bundled plugins. `npm run lint` also runs the layer check
// (.dependency-cruiser.cjs).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'packages/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // A leading underscore marks a parameter kept for its position; `{ skipped, ...rest }` drops a field.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**'],
    // Tests read loosely typed JSON answers (`(body as any).spec…`) to assert on them: not a defect there.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
