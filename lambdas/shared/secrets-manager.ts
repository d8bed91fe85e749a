import { createHash } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { FAIL_FAST_CLIENT_OPTIONS } from './aws-client-options.js';

/** Compare-and-set writes retried this many times before the change is refused as a conflict. */
export const MAX_WRITE_ATTEMPTS = 6;

/** A client that gives up quickly: the authorizer must fail closed fast rather than hang. */
export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient(FAIL_FAST_CLIENT_OPTIONS);
}

/** The AWS error's name (ResourceExistsException, …), or undefined for anything that is not an error object. */
export function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

/**
 * Whether a put made the current version. A reused token with the same value is accepted without
 * writing anything, even when that version was superseded since (another writer made the same
 * change from the same version, and the secret moved on): then nothing of ours was applied.
 */
export function isNowCurrent(stages: readonly string[] | undefined): boolean {
  return stages?.includes('AWSCURRENT') ?? false;
}

/**
 * The version that follows `versionId`. Every writer that read the same version proposes the same
 * ClientRequestToken, and Secrets Manager refuses a reused token with a different value
 * (ResourceExistsException): that is our compare-and-set. Same token and same value is idempotent.
 */
export function nextVersionToken(versionId: string): string {
  const hex = createHash('sha256').update(`keygate-next:${versionId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Exponential back-off with full jitter between compare-and-set attempts, at most 1 s. */
export async function backOff(attempt: number): Promise<void> {
  const ceiling = Math.min(1_000, 25 * 2 ** attempt);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
