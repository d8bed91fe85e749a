import { Bench } from 'tinybench';

/** One contender in a case: `floor`, `keygate` or a peer's name. */
export interface Contender {
  readonly name: string;
  readonly fn: () => unknown;
}

export interface MeasureOptions {
  /** Rounds; every round runs every contender once, in a rotated order. */
  readonly rounds: number;
  /** tinybench time budget per contender and round, in milliseconds. */
  readonly timeMs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Medians in microseconds per call. Contenders are interleaved: each round is a short tinybench
 * run of all of them in a rotated (and, every other round, reversed) order, and there are many
 * short rounds, so drift in CPU frequency or bursts of load on a shared machine hit all of them
 * alike. The result is the median over rounds of each round's median latency.
 */
export async function measureInterleaved(contenders: readonly Contender[], options: MeasureOptions): Promise<Map<string, number>> {
  const perRound = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    const rotated = contenders.map((_, i) => contenders[(i + round) % contenders.length] as Contender);
    if (round % 2 === 1) rotated.reverse();
    const bench = new Bench({
      time: options.timeMs,
      iterations: 16,
      warmup: true,
      // The first round warms every contender up to optimized code; later rounds only re-warm caches.
      warmupTime: round === 0 ? Math.max(200, options.timeMs) : Math.max(2, options.timeMs / 10),
      warmupIterations: round === 0 ? 64 : 4,
      timestampProvider: 'hrtimeNow',
      throws: true,
    });
    for (const contender of rotated) bench.add(contender.name, contender.fn);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
      perRound.get(task.name)?.push(result.latency.p50 * 1000);
    }
  }
  return new Map([...perRound].map(([name, values]) => [name, median(values)]));
}
