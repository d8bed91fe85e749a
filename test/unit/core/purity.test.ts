import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rule is what keeps lambdas/core free of AWS and Lambda code: check that it bites.
const eslint = new ESLint({ cwd: new URL('../../..', import.meta.url).pathname });

async function restrictions(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: 'lambdas/core/probe.ts' });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => m.ruleId as string);
}

describe('lambdas/core stays pure (lint rule)', () => {
  it.each([
    ["import { Logger } from '@aws-lambda-powertools/logger';", 'Powertools'],
    ["import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';", 'the AWS SDK'],
    ["import type { Context } from 'aws-lambda';", 'Lambda types'],
    ["import middy from '@middy/core';", 'middy'],
    ["import { z } from 'zod';", 'any other package'],
    ["import { createLogger } from '../shared/observability.js';", 'shared adapter code through a relative path'],
    ["import { CachingKeyResolver } from '../key-store/key-cache.js';", 'an adapter'],
  ])('refuses %s (%s)', async (code) => {
    expect(await restrictions(`${code}\nexport const used = 1;\n`)).toEqual(['no-restricted-imports']);
  });

  it('refuses a dynamic import', async () => {
    expect(await restrictions("export const sdk = () => import('@aws-sdk/client-dynamodb');\n")).toEqual(['no-restricted-syntax']);
  });

  it('allows its own modules, node:* built-ins and jose', async () => {
    expect(await restrictions("import { MAX_TOKEN_BYTES } from './limits.js';\nimport { verify } from 'node:crypto';\nimport { calculateJwkThumbprint } from 'jose';\nexport { MAX_TOKEN_BYTES, verify, calculateJwkThumbprint };\n")).toEqual([]);
  });
});
