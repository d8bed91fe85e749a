import type { ParsedHeaderCache } from './compact-jws.js';
import type { JsonObject } from './strict-json.js';

/**
 * Headers that decoded, parsed and passed checkHeader, by their exact segment text. A client sends
 * the same header ({"alg":"RS512","kid":…}) with every token, and decoding and parsing it was a
 * third of the pre-signature time (profiled). Bounded in entries and in segment length, emptied
 * when full, so a client varying its header costs memory for at most `maxEntries` of them.
 */
export class CheckedHeaders implements ParsedHeaderCache {
  readonly #headers = new Map<string, JsonObject>();

  constructor(
    readonly maxEntries = 64,
    readonly maxSegmentLength = 512,
  ) {}

  get size(): number {
    return this.#headers.size;
  }

  get(segment: string): JsonObject | undefined {
    return this.#headers.get(segment);
  }

  /** Keeps the (frozen) parse result of a header that passed checkHeader. */
  remember(segment: string, header: JsonObject): void {
    if (segment.length > this.maxSegmentLength || this.#headers.has(segment)) return;
    if (this.#headers.size >= this.maxEntries) this.#headers.clear();
    this.#headers.set(segment, Object.freeze(header));
  }
}
