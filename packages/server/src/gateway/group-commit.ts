/**
 * Group commit for the gateway's many small writes (a result stored, a
 * delivery marked sent, a device seen): work items that arrive within a few
 * milliseconds share one transaction, so 10,000 devices answering at once
 * cost tens of commits (fsyncs, with SQLite synchronous=FULL) instead of
 * 10,000. Each caller's promise settles when its own work is committed, so
 * "stored" still means durable before the gateway acks a report.
 *
 * Items must only touch the database through the transaction they are
 * given and must be safe to run again (withTransaction retries, and a batch
 * that fails is replayed item by item so one bad item fails only itself).
 *
 * Work of the same shape from many items (a result row, a delivery marked
 * sent, "is this command done?") is better done in one statement than in
 * one per item: an item hands such work to {@link BatchScope.collect}, and
 * the batch runs each collector once, after all items, in the same
 * transaction, with every value collected under its key (phase by phase,
 * so e.g. "is the command done?" runs after the deliveries are closed).
 * A 10,000-device fan-out then costs a few multi-row statements per batch
 * instead of several statements per device.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { withTransaction } from '../db/transaction.js'

/** A unit of database work; `batch` defers same-shaped work to the end of the batch. */
export type Work<T> = (trx: Transaction<Database>, batch: BatchScope) => Promise<T>

/** Runs once per batch and key with every value collected under that key. */
export type Collector<V> = (trx: Transaction<Database>, values: readonly V[]) => Promise<void>

/** What an item may defer to the end of its batch. */
export interface BatchScope {
  /**
   * Adds `value` under `key`; at the end of the batch (still inside its
   * transaction, before the commit) `flush` runs once with all values of
   * the key, lower phases first. Keys must name the flush: items that use
   * one key must pass equivalent flushes.
   */
  collect<V>(key: string, phase: number, value: V, flush: Collector<V>): void
}

interface Pending {
  readonly phase: number
  readonly values: unknown[]
  readonly flush: Collector<unknown>
}

/** One batch's collected work. */
class Scope implements BatchScope {
  readonly #byKey = new Map<string, Pending>()

  collect<V>(key: string, phase: number, value: V, flush: Collector<V>): void {
    let p = this.#byKey.get(key)
    if (p === undefined) this.#byKey.set(key, (p = { phase, values: [], flush: flush as Collector<unknown> }))
    p.values.push(value)
  }

  async run(trx: Transaction<Database>): Promise<void> {
    const all = [...this.#byKey.values()].sort((a, b) => a.phase - b.phase)
    for (const p of all) await p.flush(trx, p.values)
  }
}

/** Runs `work` and what it collected, alone in `trx` (a retry or a replay starts from a fresh scope). */
async function runAlone<T>(trx: Transaction<Database>, work: Work<T>): Promise<T> {
  const scope = new Scope()
  const value = await work(trx, scope)
  await scope.run(trx)
  return value
}

interface Item {
  readonly work: Work<unknown>
  readonly resolve: (v: unknown) => void
  readonly reject: (e: unknown) => void
}

/** Refusal after {@link GroupCommit.close}. */
export class GroupCommitClosedError extends Error {
  override readonly name = 'GroupCommitClosedError'
}

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** Most items per transaction (default 500). */
  readonly maxBatch?: number
  /** How long the first item of a batch waits for company (default 2 ms). */
  readonly delayMs?: number
}

/**
 * @example
 * const commits = new GroupCommit(db)
 * await commits.run((trx) => trx.insertInto('results').values(row).execute())
 */
export class GroupCommit {
  readonly #db: Kysely<Database>
  readonly #maxBatch: number
  readonly #delayMs: number
  #queue: Item[] = []
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> | undefined
  #closed = false

  constructor(db: Kysely<Database>, options: GroupCommitOptions = {}) {
    this.#db = db
    this.#maxBatch = options.maxBatch ?? 500
    this.#delayMs = options.delayMs ?? 2
  }

  /** Runs `work` in the next batch; resolves with its value once committed. */
  run<T>(work: Work<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new GroupCommitClosedError('the gateway is shutting down'))
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject })
      this.#schedule()
    })
  }

  /** Commits what is queued, then refuses new work. */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    while (this.#flushing !== undefined || this.#queue.length > 0) {
      if (this.#flushing === undefined) this.#startFlush()
      await this.#flushing
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#flushing !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#startFlush()
    }, this.#delayMs)
  }

  #startFlush(): void {
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined
      if (this.#queue.length > 0 && !this.#closed) this.#schedule()
    })
  }

  async #flush(): Promise<void> {
    const batch = this.#queue.splice(0, this.#maxBatch)
    if (batch.length === 0) return
    try {
      const values = await withTransaction(this.#db, async (trx) => {
        const scope = new Scope()
        const out: unknown[] = []
        for (const item of batch) out.push(await item.work(trx, scope))
        await scope.run(trx)
        return out
      })
      batch.forEach((item, i) => item.resolve(values[i]))
    } catch {
      // Replay one by one: only the failing item fails.
      for (const item of batch) {
        try {
          item.resolve(await withTransaction(this.#db, (trx) => runAlone(trx, item.work)))
        } catch (e) {
          item.reject(e)
        }
      }
    }
  }
}
