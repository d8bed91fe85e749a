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
    files: ['lambdas/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@aws-sdk/*', '@aws-lambda-powertools/*', '@middy/*', 'aws-lambda', 'aws-cdk-lib', 'aws-cdk-lib/*', '@smithy/*'], message: 'lambdas/core is pure: no AWS or Lambda imports.' },
            { group: ['../key-store/*', '../authorizer/*', '../registration/*'], message: 'lambdas/core must not depend on adapters.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
