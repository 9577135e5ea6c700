// ESLint flat config: type-aware rules everywhere, and the workflow sandbox kept free of Node APIs.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const builtinBans = nodeBuiltins.map((name) => ({
  name,
  message: 'Node built-ins are not allowed in sandboxed/pure code.',
}));
const ioBan = { group: ['@google-cloud/*', 'google-auth-library'], message: 'I/O belongs in activities/.' };
const activitiesAsTypes = {
  group: ['**/activities/*', '**/activities/**'],
  allowTypeImports: true,
  message: 'Import activities as types only.',
};
/**
 * Decisions run in the recorded `decide` local activity, never in the workflow sandbox, so changing
 * them never breaks replay (docs/versioning.md): workflows import their types only.
 */
const decisionsAsTypes = {
  group: ['classify', 'plan', 'plan-render', 'limits', 'causes/*', 'causes/**']
    .flatMap((m) => [`**/core/${m}`, `**/core/${m}.ts`])
    .concat(['**/policies/*', '**/policies/**']),
  allowTypeImports: true,
  message: 'Decisions run in the decide local activity (activities/decide.ts); import their types only.',
};
/** Nothing below imports upward (DESIGN: parts and folders). */
const upward = (folders) => ({
  group: folders.flatMap((f) => [`**/${f}/*`, `**/${f}/**`]),
  message: `This layer may not import ${folders.join('/, ')}/: nothing below imports upward.`,
});

export default tseslint.config(
  {
    ignores: ['node_modules/**', '.tools/**', '.temporal/**', '.artifacts/**', 'eslint.config.mjs', 'bin/**'],
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O modules.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinBans,
          patterns: [
            ioBan,
            activitiesAsTypes,
            decisionsAsTypes,
            upward(['cli', 'receiver', 'runtime', 'setup']),
          ],
        },
      ],
    },
  },
  {
    // The pure core and the policy schema: sandbox-safe, and below everything but each other.
    files: ['core/**/*.ts', 'policies/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinBans,
          patterns: [ioBan, activitiesAsTypes, upward(['workflows', 'cli', 'receiver', 'runtime', 'setup'])],
        },
      ],
    },
  },
  {
    // Activities own I/O; they sit below the workflows and the composition roots.
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [upward(['workflows', 'cli', 'receiver', 'runtime', 'setup'])] },
      ],
    },
  },
  {
    // The simulator is GCP, not lbmedic: it imports nothing of the operator.
    files: ['simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            upward(['activities', 'cli', 'core', 'policies', 'receiver', 'runtime', 'setup', 'workflows']),
          ],
        },
      ],
    },
  },
);
