// Lint: typescript-eslint's type-checked recommendations, minus the rules this code deliberately
// does not follow (each says why). `npm run lint` runs it with the import rules of
// .dependency-cruiser.cjs; `npm test` runs lint first.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data*/'] },
  js.configs.recommended,
  {
    // Plain JavaScript (this file, build scripts): Node's globals, no type information.
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      // Fastify types hooks, handlers and callbacks as returning void, yet awaits the promise an
      // async one returns: that is how every hook and route here is written.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // Store ports are async; the SQLite back end keeps them with synchronous bodies (group commit
      // acknowledges after fsync), so an async function without await is the contract, not a slip.
      '@typescript-eslint/require-await': 'off',
      // `match[1]!` and `rows[0]!`: the code marks every indexed read it knows is there, as if
      // noUncheckedIndexedAccess were on; this rule calls those marks unnecessary.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Error details quote what a client sent, whatever its type (String(value) on purpose).
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // SqliteStore.open is synchronous today; awaited inside the try so that a later async open is
    // still explained by explainSqliteOpenFailure.
    files: ['src/store/open.ts'],
    rules: { '@typescript-eslint/await-thenable': 'off' },
  },
  {
    // Tests and benchmarks read answers as untyped JSON, replace methods to observe them (fsync,
    // timers) and match column-aligned text with the spaces as printed.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-regex-spaces': 'off',
    },
  },
);
