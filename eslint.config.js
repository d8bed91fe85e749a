import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out*/', '.keygate/', 'examples/**/*.py', 'examples/**/*.java'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // lambdas/core is pure: its own modules, Node built-ins and jose, nothing else (no AWS, no
    // Lambda, no adapter reached through a relative path), and no dynamic import around the rule.
    files: ['lambdas/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!\\./[^/]+$|node:|jose$)', message: 'lambdas/core imports only its own modules, node:* and jose: no AWS, no Lambda, nothing outside lambdas/core.' },
          ],
        },
      ],
      'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: 'lambdas/core has no dynamic imports.' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
