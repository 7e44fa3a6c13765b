import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['node_modules/**', '.retrain/**', '.tools/**', 'dist/**', 'bench/data/**', 'examples/python/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // A promise nobody awaits loses its rejection (an unhandled rejection ends the worker) and its ordering.
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself tracks.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
    },
  },
  {
    // Outside the sandbox, workflow code is not loaded: start workflows by name and talk to them through messages.ts.
    files: ['src/**/*.ts'],
    ignores: ['src/workflows/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows/*', '!**/workflows/messages.js', '!**/workflows/workflow-ids.js'],
              allowTypeImports: true,
              message: 'Import signals, queries and updates from workflows/messages.js and ids from workflows/workflow-ids.js; start workflows by name (type-only import of the function).',
            },
          ],
        },
      ],
    },
  },
  {
    // The Temporal sandbox: workflow code is deterministic and does no I/O.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not allowed in workflow code; do I/O in an activity.' })),
          patterns: [
            { group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker'], message: 'Not allowed in workflow code.' },
            { group: ['**/activities/*'], allowTypeImports: true, message: 'Import activity types only.' },
          ],
        },
      ],
    },
  },
);
