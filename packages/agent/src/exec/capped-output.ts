/**
 * A byte sink that keeps the first `cap` bytes of a stream and only counts
 * the rest.
 *
 * Guarantees: memory held is at most `cap` bytes however much a script
 * prints; the count of discarded bytes is exact. The stream must still be
 * read to its end (we discard, we do not stop reading), otherwise a chatty
 * child would block on a full pipe and run into its timeout.
 */

/** Collects a stream's head up to a byte cap. */
export class CappedOutput {
  readonly cap: number
  #chunks: Buffer[] = []
  #kept = 0
  #total = 0

  constructor(cap: number) {
    this.cap = cap
  }

  /** Feeds one chunk; bytes beyond the cap are counted and dropped. */
  push(chunk: Buffer): void {
    this.#total += chunk.length
    const room = this.cap - this.#kept
    if (room <= 0) return
    const keep = chunk.length <= room ? chunk : chunk.subarray(0, room)
    // Copy a partial slice so the large original chunk can be collected.
    this.#chunks.push(keep === chunk ? chunk : Buffer.from(keep))
    this.#kept += keep.length
  }

  /** Bytes seen in total, kept or not. */
  get totalBytes(): number {
    return this.#total
  }

  /** True when some bytes were dropped. */
  get truncated(): boolean {
    return this.#total > this.#kept
  }

  /** The kept bytes. */
  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#kept)
  }

  /**
   * The kept bytes as text. Scripts print whatever their tools print, and
   * results must be JSON, so invalid UTF-8 (including a character cut in
   * half by the cap) becomes U+FFFD rather than an error; the exact byte
   * count stays in `totalBytes`.
   */
  text(): string {
    return this.bytes().toString('utf8')
  }
}
