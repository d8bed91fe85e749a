import { describe, expect, it } from 'vitest';
import { MemoryReplayGuard, ReplayGuardUnavailableError } from '../../../lambdas/replay/replay-guard.js';

// Local mode's replay guard: the same contract as the DynamoDB one, in memory.
describe('MemoryReplayGuard', () => {
  it('accepts a jti once per key name, until it expires', async () => {
    const clock = { now: 1_000 };
    const guard = new MemoryReplayGuard(10, () => clock.now);
    expect(await guard.recordFirstUse('acme', 'j1', 1_060)).toBe('first');
    expect(await guard.recordFirstUse('acme', 'j1', 1_060)).toBe('replayed');
    expect(await guard.recordFirstUse('other', 'j1', 1_060)).toBe('first');
    clock.now = 1_060;
    expect(await guard.recordFirstUse('acme', 'j1', 1_120)).toBe('first');
  });

  it('when full of unexpired tokens it fails closed rather than forget one', async () => {
    const clock = { now: 1_000 };
    const guard = new MemoryReplayGuard(2, () => clock.now);
    await guard.recordFirstUse('acme', 'a', 1_100);
    await guard.recordFirstUse('acme', 'b', 1_050);
    await expect(guard.recordFirstUse('acme', 'c', 1_100)).rejects.toBeInstanceOf(ReplayGuardUnavailableError);
    expect(await guard.recordFirstUse('acme', 'a', 1_100)).toBe('replayed');
    clock.now = 1_050; // b has expired: its room is reused
    expect(await guard.recordFirstUse('acme', 'c', 1_100)).toBe('first');
    expect(await guard.recordFirstUse('acme', 'a', 1_100)).toBe('replayed');
  });
});
