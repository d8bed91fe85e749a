import type { InstructionCounts } from './instructions.js';

/** One row of `npm run bench -- --json` (schema of issue 8; `instructions` from issue 17, with --instructions). */
export interface CaseResult {
  readonly case: string;
  readonly unit: 'us' | 'ms' | 'bytes' | 'calls';
  readonly floor: number;
  readonly keygate: number;
  readonly peers: Record<string, number>;
  /** Instructions per operation (cachegrind), for the cases that have them. */
  readonly instructions?: InstructionCounts;
}

export interface BenchReport {
  readonly node: string;
  readonly results: CaseResult[];
}

/** Goals from issue 8, as a maximum ratio keygate / floor (and, for verify, ahead of every peer). */
export const GOALS: Readonly<Record<string, { readonly maxRatio: number; readonly aheadOfPeers: boolean }>> = {
  'verify-2048': { maxRatio: 1.25, aheadOfPeers: true },
  'verify-3072': { maxRatio: Number.POSITIVE_INFINITY, aheadOfPeers: true },
  'verify-4096': { maxRatio: 1.1, aheadOfPeers: true },
  'key-import-4096': { maxRatio: 1.3, aheadOfPeers: false },
  'handler-warm-4096': { maxRatio: 1.3, aheadOfPeers: false },
  'cold-load': { maxRatio: 1.15, aheadOfPeers: false },
  // floor = the promised bound: keygate must not exceed it.
  'unknown-name-flood': { maxRatio: 1, aheadOfPeers: false },
};

/** Goals from issue 17, in instructions per operation: a maximum ratio to the floor, ahead of every peer for verify. */
export const INSTRUCTION_GOALS: Readonly<Record<string, { readonly maxRatio: number; readonly aheadOfPeers: boolean }>> = {
  'verify-2048': { maxRatio: 1.1, aheadOfPeers: true },
  'verify-4096': { maxRatio: 1.04, aheadOfPeers: true },
  'handler-warm-4096': { maxRatio: 1.25, aheadOfPeers: false },
};

function format(value: number, unit: CaseResult['unit']): string {
  if (unit === 'bytes') return value >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value} B`;
  if (unit === 'calls') return String(value);
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${unit === 'us' ? 'µs' : unit}`;
}

const ratio = (value: number, floor: number): string => (floor > 0 ? `${(value / floor).toFixed(2)}×` : '–');

export function goalVerdict(result: Pick<CaseResult, 'case' | 'floor' | 'keygate' | 'peers'>, goals = GOALS): string {
  const goal = goals[result.case];
  if (!goal) return '';
  const parts: string[] = [];
  let met = true;
  if (Number.isFinite(goal.maxRatio)) {
    parts.push(result.case === 'unknown-name-flood' ? '≤ bound' : `≤${goal.maxRatio.toFixed(2)}×`);
    met &&= result.keygate <= result.floor * goal.maxRatio;
  }
  if (goal.aheadOfPeers) {
    parts.push('< peers');
    met &&= Object.values(result.peers).every((peer) => result.keygate < peer);
  }
  return `${parts.join(', ')} ${met ? 'met' : 'NOT met'}`;
}

/** A plain-text table: one line per case, peers with their ratio to the floor. */
export function renderTable(report: BenchReport): string {
  const header = ['case', 'floor', 'keygate', '×floor', 'peers (×floor)', 'goal'];
  const rows = report.results.map((r) => [
    r.case,
    format(r.floor, r.unit),
    format(r.keygate, r.unit),
    r.case === 'unknown-name-flood' ? `${r.keygate}/${r.floor}` : ratio(r.keygate, r.floor),
    Object.entries(r.peers)
      .map(([name, value]) => `${name} ${format(value, r.unit)}${r.unit === 'calls' ? '' : ` (${ratio(value, r.floor)})`}`)
      .join(', '),
    goalVerdict(r),
  ]);
  return table(header, rows);
}

const thousands = (value: number) => `${(value / 1000).toFixed(1)}k`;

/** The instruction counts as a second table: per operation, with ratios to the floor and the issue 17 goals. */
export function renderInstructionTable(report: BenchReport): string {
  const measured = report.results.filter((r): r is CaseResult & { instructions: InstructionCounts } => r.instructions !== undefined);
  if (measured.length === 0) return '';
  const header = ['case (instructions/op)', 'floor', 'keygate', '×floor', 'peers (×floor)', 'goal'];
  const rows = measured.map(({ case: name, instructions: i }) => [
    name,
    thousands(i.floor),
    thousands(i.keygate),
    ratio(i.keygate, i.floor),
    Object.entries(i.peers)
      .map(([peer, value]) => `${peer} ${thousands(value)} (${ratio(value, i.floor)})`)
      .join(', '),
    goalVerdict({ case: name, ...i }, INSTRUCTION_GOALS),
  ]);
  return table(header, rows);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}
