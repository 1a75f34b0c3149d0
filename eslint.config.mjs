// Type-aware lint for the whole tree: the rules that catch real defects (a promise nobody awaits,
// a variable nobody reads), not style; prettier owns formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'src/__generated__/',
      'src/client/__generated__/',
      'test/__generated__/',
      'src/explorer/dist/',
      // built by `npm pack` of the client package (test/client/package.test.ts), gitignored
      'packages/client/dist/',
      'coverage/',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Rows from knex.raw and JSON from test responses are `any` by nature; strict tsc governs the
      // rest. These rules would only add casts, so the lint keeps to the defect-catching ones.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Apollo's plugin hooks and graphql-ws's callbacks are async by contract, awaited or not.
      '@typescript-eslint/require-await': 'off',
      // `(await db.raw(...)) as { rows: ... }` says what the driver returns; keep such casts.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Models merge an interface of shared columns (StatusFields) into the class on purpose.
      '@typescript-eslint/no-empty-object-type': 'off',
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
      // Knex and Objection expose plain functions as properties (postProcessResponse, executionPromise).
      '@typescript-eslint/unbound-method': 'off',
      // A `let` that a closure reads before its one assignment is deliberate (server.ts, the bus).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Resources rethrow the first failure of a release, whatever it was.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      // The event queue hands on whatever its source threw, unchanged.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
);
