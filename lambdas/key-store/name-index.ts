import { createHash, randomBytes } from 'node:crypto';
import { KeyStoreIntegrityError } from './key-store.js';

/**
 * The name index: which names may be registered, and which names changed lately. Written only by
 * the registration side (both store adapters keep it), read by each authorizer container once per
 * key-cache window. The store of record for keys stays the per-name record; the index only lets the
 * authorizer refuse made-up names without a read and keep a registered name's keys until it changes.
 *
 * Membership is a Bloom filter of fixed size (2^18 bits, 7 probes): 10,000 names give a false
 * positive rate near 0.004 %, 20,000 near 0.2 %; a false positive only costs one (budgeted) read.
 * Names are never removed from it (a revoked name may be restored); a removal is a change in the log.
 * The change log holds a 32-bit hash of the name for each of the last LOG_SIZE changes (sequence
 * numbers seq−length+1 … seq). Encoded, the whole index stays under 50 KB, inside Secrets Manager's
 * 64 KiB value limit however many names there are.
 */
export const FILTER_BITS = 2 ** 18;
export const FILTER_PROBES = 7;
export const LOG_SIZE = 1024;
/** Names whose write started but was not confirmed; bounded so the index keeps its size. */
export const MAX_PENDING = 256;
/** A pending mark older than this is settled by the next index write: the write it guarded is over. */
export const PENDING_EXPIRY_SECONDS = 300;

export interface NameIndexData {
  /** Change counter: +1 for every change to a name. */
  readonly seq: number;
  readonly filter: Uint8Array;
  /** Name hashes of the last changes, oldest first; the last one is change `seq`. */
  readonly log: readonly number[];
  /** Names with removals in progress: hash → when the last mark was set (epoch seconds) and how many are open. */
  readonly pending: ReadonlyMap<number, PendingMark>;
}

export interface PendingMark {
  readonly since: number;
  readonly count: number;
}

/** The three hashes keygate takes from one digest of the name. */
export interface NameHash {
  /** 32 bits, for the change log and the pending marks. */
  readonly id: number;
  readonly probe1: number;
  readonly probe2: number;
}

export function hashName(name: string): NameHash {
  const digest = createHash('sha256').update(name, 'utf8').digest();
  return { id: digest.readUInt32BE(0), probe1: digest.readUInt32BE(4), probe2: (digest.readUInt32BE(8) | 1) >>> 0 };
}

function* probes(hash: NameHash): Generator<number> {
  for (let i = 0; i < FILTER_PROBES; i++) yield (hash.probe1 + i * hash.probe2) % FILTER_BITS;
}

export function filterMayContain(filter: Uint8Array, hash: NameHash): boolean {
  for (const bit of probes(hash)) if ((filter[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
  return true;
}

function filterAdd(filter: Uint8Array, hash: NameHash): void {
  for (const bit of probes(hash)) filter[bit >>> 3]! |= 1 << (bit & 7);
}

export function emptyIndex(): NameIndexData {
  return { seq: 0, filter: new Uint8Array(FILTER_BITS / 8), log: [], pending: new Map() };
}

/** An index holding `names` (a rebuild): no history, so every container re-reads what it holds. */
export function indexOfNames(names: Iterable<string>, seq = 0): NameIndexData {
  const index = emptyIndex();
  for (const name of names) filterAdd(index.filter as Uint8Array, hashName(name));
  return { ...index, seq };
}

function settleExpired(pending: Map<number, PendingMark>, log: number[], nowSeconds: number): number {
  let changes = 0;
  for (const [id, { since }] of pending) {
    if (nowSeconds - since < PENDING_EXPIRY_SECONDS) continue;
    pending.delete(id);
    log.push(id);
    changes++;
  }
  return changes;
}

/**
 * The index after a change to `name`. A removal writes `begin` before the record changes: the name
 * is marked pending, so a container that reads the record while the write is in flight keeps it no
 * longer than the key-cache window; and `end` after it: the mark is closed and the change logged
 * again, so every copy read before it is dropped. An addition (or a repeat) only writes `log`: the
 * name joins the filter and the change is logged; it leaves the marks of removals alone.
 */
export function withNameChange(index: NameIndexData, name: string, phase: 'begin' | 'end' | 'log', nowSeconds: number): NameIndexData {
  const hash = hashName(name);
  const filter = Uint8Array.from(index.filter);
  filterAdd(filter, hash);
  const pending = new Map(index.pending);
  const log = [...index.log];
  let seq = index.seq + settleExpired(pending, log, nowSeconds);
  const mark = pending.get(hash.id);
  if (phase === 'begin') {
    pending.set(hash.id, { since: nowSeconds, count: (mark?.count ?? 0) + 1 });
    if (pending.size > MAX_PENDING) throw new NameIndexFullError(`more than ${MAX_PENDING} writes are in progress`);
  } else if (phase === 'end' && mark) {
    if (mark.count > 1) pending.set(hash.id, { since: mark.since, count: mark.count - 1 });
    else pending.delete(hash.id);
  }
  log.push(hash.id);
  seq += 1;
  return { seq, filter, log: log.slice(-LOG_SIZE), pending };
}

/** Too many writes in progress at once: the caller refuses the change and lets the client retry. */
export class NameIndexFullError extends Error {
  override readonly name = 'NameIndexFullError';
}

/** Whether the change `name` is part of would still need its `end` write (the record may be behind). */
export function isPending(index: NameIndexData, name: string): boolean {
  return index.pending.has(hashName(name).id);
}

/**
 * Name ids changed after change number `since`; undefined when the log does not reach back that
 * far (every name must be treated as changed).
 */
export function changedSince(index: NameIndexData, since: number): Set<number> | undefined {
  if (since > index.seq) return undefined; // the index went back: a rebuild
  const first = index.seq - index.log.length; // the log covers first+1 … seq
  if (since < first) return undefined;
  return new Set(index.log.slice(since - first));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function serializeIndex(index: NameIndexData): string {
  const log = Buffer.alloc(index.log.length * 4);
  index.log.forEach((id, i) => log.writeUInt32BE(id, i * 4));
  // `writer` makes every write unique: two writers that computed the same change from one version
  // (two removals of one name in the same second) would otherwise send byte-identical values with
  // the same ClientRequestToken, and the second put would pass as an idempotent repeat of the first,
  // losing its pending mark. With it, the second put is refused and retried from the new version.
  return JSON.stringify({ v: 1, writer: randomBytes(8).toString('hex'), seq: index.seq, filter: Buffer.from(index.filter).toString('base64'), log: log.toString('base64'), pending: [...index.pending].map(([id, mark]) => [id, mark.since, mark.count]) });
}

/** Parses a stored index; anything keygate would not have written is an integrity error. */
export function parseIndex(text: string): NameIndexData {
  const broken = (why: string) => new KeyStoreIntegrityError(`the name index ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw broken('is not JSON');
  }
  if (typeof json !== 'object' || json === null) throw broken('is not an object');
  const { v, seq, filter, log, pending } = json as Record<string, unknown>;
  if (v !== 1) throw broken('has an unknown version');
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw broken('has no valid seq');
  if (typeof filter !== 'string' || !BASE64.test(filter)) throw broken('has no valid filter');
  if (typeof log !== 'string' || !BASE64.test(log)) throw broken('has no valid log');
  const filterBytes = Buffer.from(filter, 'base64');
  const logBytes = Buffer.from(log, 'base64');
  if (filterBytes.length !== FILTER_BITS / 8) throw broken('filter has the wrong size');
  if (logBytes.length % 4 !== 0 || logBytes.length / 4 > Math.min(LOG_SIZE, seq as number)) throw broken('log has the wrong size');
  if (!Array.isArray(pending) || pending.length > MAX_PENDING) throw broken('has no valid pending list');
  const marks = new Map<number, PendingMark>();
  for (const mark of pending) {
    if (!Array.isArray(mark) || mark.length !== 3 || !mark.every((n) => Number.isSafeInteger(n) && n >= 0) || mark[2] < 1) throw broken('has an invalid pending mark');
    marks.set(mark[0] as number, { since: mark[1] as number, count: mark[2] as number });
  }
  const ids: number[] = [];
  for (let i = 0; i < logBytes.length; i += 4) ids.push(logBytes.readUInt32BE(i));
  return { seq: seq as number, filter: new Uint8Array(filterBytes), log: ids, pending: marks };
}
