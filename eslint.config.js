// Type-checked lint, plus the floors of ../shared/STYLE.md as import rules:
// domain/ is pure, workflow files stay deterministic, infra/ knows nothing of grants.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const banned = (names, message) => names.map((name) => ({ name, message }));

export default tseslint.config(
  {
    ignores: ['node_modules/', '.tools/', '.data/', '.build/', 'test/artifacts/', 'services/console/static/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  {
    // domain/: nothing but domain code and pure libraries: zod (schemas), ulid (ids), immutable
    // (persistent maps, for a state whose copy per event would cost the square of its stream).
    files: ['domain/**/*.ts'],
    ignores: ['domain/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: banned(nodeBuiltins, 'domain/ is pure: no node builtins.'),
          patterns: [
            {
              regex: '^(?!zod$|zod/|ulid$|immutable$|\\.{1,2}/)',
              message: 'domain/ imports only zod, ulid, immutable and itself.',
            },
            { regex: '(^|/)(infra|workflows|services)(/|$)', message: 'domain/ is the bottom floor.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Time enters domain/ through command metadata, never the clock.' },
        { name: 'process', message: 'domain/ is pure.' },
        { name: 'setTimeout', message: 'domain/ is pure.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'domain/ is pure.' },
      ],
    },
  },
  {
    // infra/: adapters; knows nothing of grants beyond event envelopes.
    files: ['infra/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(workflows|services)(/|$)',
              message: 'infra/ sits below workflows/ and services/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: domain code only. Activities
    // (workflows/activities/) and the worker/client run in Node and may use infra/.
    files: [
      'workflows/application/**/*.ts',
      'workflows/campaign/**/*.ts',
      'workflows/shared/**/*.ts',
      'workflows/index.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: banned(nodeBuiltins, 'Workflow code is deterministic: no node builtins.'),
          patterns: [
            {
              regex: '(^|/)(infra|services)(/|$)',
              message: 'Workflows import domain code only (activities are type-only).',
              allowTypeImports: true,
            },
            { regex: '^(pino|better-sqlite3|express|@eventstore/)', message: 'Not in the workflow sandbox.' },
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: [
      'workflows/application/**/*.ts',
      'workflows/campaign/**/*.ts',
      'workflows/shared/**/*.ts',
      'workflows/index.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)services(/|$)', message: 'workflows/ sit below services/.' }] },
      ],
    },
  },
  {
    // Node's recursive mkdir never returns under /proc or /sys (infra/files/makeDirectory.ts).
    files: ['infra/**/*.ts', 'services/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name=/^mkdir(Sync)?$/] Property[key.name='recursive']",
          message:
            'makeDirectory (infra/files/makeDirectory.ts), not a recursive mkdir: it loops under /proc.',
        },
      ],
    },
  },
);
