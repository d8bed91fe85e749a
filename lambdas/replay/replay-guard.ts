import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { FAIL_FAST_CLIENT_OPTIONS } from '../shared/aws-client-options.js';

/** Records each accepted token's `jti` once; a second use is a replay. */
export interface ReplayGuard {
  /**
   * Records `<key name>#<jti>` until `expiresAtSeconds`; 'replayed' when it was already recorded.
   * Faults throw ReplayGuardUnavailableError: the authorizer then fails closed.
   */
  recordFirstUse(keyName: string, jti: string, expiresAtSeconds: number): Promise<'first' | 'replayed'>;
}

export class ReplayGuardUnavailableError extends Error {
  override readonly name = 'ReplayGuardUnavailableError';
}

export function replayPartitionKey(keyName: string, jti: string): string {
  return `${keyName}#${jti}`;
}

/**
 * DynamoDB: partition key `pk` = `<key name>#<jti>`, TTL attribute `expiresAt` (epoch seconds),
 * one conditional put (`attribute_not_exists(pk)`) per accepted token.
 */
export class DynamoDbReplayGuard implements ReplayGuard {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBClient = new DynamoDBClient(FAIL_FAST_CLIENT_OPTIONS),
  ) {}

  async recordFirstUse(keyName: string, jti: string, expiresAtSeconds: number): Promise<'first' | 'replayed'> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: replayPartitionKey(keyName, jti) }, expiresAt: { N: String(expiresAtSeconds) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'first';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === 'ConditionalCheckFailedException') return 'replayed';
      throw new ReplayGuardUnavailableError(`DynamoDB PutItem failed: ${(error as { name?: string }).name ?? 'unknown error'}`, { cause: error });
    }
  }
}

/** Local mode's guard: in memory, expired entries dropped, bounded; when full it fails closed rather than forget. */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly nowSeconds: () => number = () => Date.now() / 1000,
  ) {}

  async recordFirstUse(keyName: string, jti: string, expiresAtSeconds: number): Promise<'first' | 'replayed'> {
    const key = replayPartitionKey(keyName, jti);
    const now = this.nowSeconds();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return 'replayed';
    if (this.seen.size >= this.maxEntries) {
      for (const [entry, expiry] of this.seen) if (expiry <= now) this.seen.delete(entry);
      if (this.seen.size >= this.maxEntries) throw new ReplayGuardUnavailableError(`more than ${this.maxEntries} unexpired tokens are recorded`);
    }
    this.seen.set(key, expiresAtSeconds);
    return 'first';
  }
}
