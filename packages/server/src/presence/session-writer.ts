/**
 * One node's session writes, coalesced and written in short transactions
 * of their own: never inside the gateway's result batches, so a presence
 * write that waits on another node can neither hold up nor roll back
 * stored results and acks.
 *
 * Writes that arrive within a few milliseconds share one flush; a flush
 * is at most two transactions (the recorded rows, then the removed ones),
 * each a few multi-row statements (session-writes.ts): a reconnect storm
 * of 10,000 agents costs a handful of transactions, not 10,000. The two are
 * separate on purpose: in one transaction, node A recording d1 then
 * removing d2 while node B records d2 then removes d1 would wait on each
 * other in a cycle; alone, each takes its locks in device order.
 *
 * Order: flushes run one at a time, in order. A removal cancels the
 * queued (not yet written) recording of the same connection, so a
 * connection's row is never written after its removal. Everything else in
 * one flush commutes: a removal names an exact connection, so recording a
 * device's newer connection and removing its older one give the same row
 * in either order.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { withTransaction } from '../db/transaction.js'
import { deleteSessions, upsertSessions, type NodeStamp, type Session, type SessionKey } from './session-writes.js'

/** Refusal after {@link SessionWriter.close}, and the end of writes it dropped. */
export class SessionWriterClosedError extends Error {
  override readonly name = 'SessionWriterClosedError'
}

/** Options of {@link SessionWriter}. */
export interface SessionWriterOptions {
  /** Rows per flush at most, recorded and removed together (default 2000). */
  readonly maxRows?: number
  /** How long the first write of a flush waits for company (default 2 ms). */
  readonly delayMs?: number
}

interface Waiter {
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

interface Queued<T> {
  readonly row: T
  readonly waiters: Waiter[]
}

/**
 * @example
 * const writer = new SessionWriter(db, { nodeId: 'node-a', instance, ttlMs: 30_000 })
 * await writer.record({ device_id: 'dev-1', connection_id: `${instance}.1`, connected_at: at }) // committed
 * await writer.remove({ device_id: 'dev-1', connection_id: `${instance}.1` })
 * await writer.close()
 */
export class SessionWriter {
  readonly #db: Kysely<Database>
  readonly #node: NodeStamp
  readonly #maxRows: number
  readonly #delayMs: number
  /** Queued recordings: device → its newest connection here. */
  readonly #ups = new Map<string, Queued<Session>>()
  /** Queued removals, by device and connection. */
  readonly #downs = new Map<string, Queued<SessionKey>>()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> | undefined
  #closed = false

  constructor(db: Kysely<Database>, node: NodeStamp, options: SessionWriterOptions = {}) {
    this.#db = db
    this.#node = node
    this.#maxRows = options.maxRows ?? 2000
    this.#delayMs = options.delayMs ?? 2
  }

  /** Records `session`; resolves once committed (rejects if the write failed, or was dropped by close). */
  record(session: Session): Promise<void> {
    return this.#queue((waiter) => {
      const waiters = [waiter]
      // An older connection of the same device, still queued, is superseded: its callers learn with this one.
      const older = this.#ups.get(session.device_id)
      if (older !== undefined) {
        waiters.push(...older.waiters)
        this.#ups.delete(session.device_id)
      }
      this.#ups.set(session.device_id, { row: session, waiters })
    })
  }

  /** Removes the row of connection `key`; resolves once committed (rejects as {@link record} does). */
  remove(key: SessionKey): Promise<void> {
    return this.#queue((waiter) => {
      const waiters = [waiter]
      const queued = this.#ups.get(key.device_id)
      if (queued !== undefined && queued.row.connection_id === key.connection_id) {
        // Never written yet: written later, it would outlive the connection.
        this.#ups.delete(key.device_id)
        waiters.push(...queued.waiters)
      }
      const id = `${key.device_id}\n${key.connection_id}`
      const same = this.#downs.get(id)
      this.#downs.set(id, { row: key, waiters: same === undefined ? waiters : [...same.waiters, ...waiters] })
    })
  }

  /** Resolves once everything queued so far is written (or failed). */
  async settled(): Promise<void> {
    while (this.#flushing !== undefined || this.#timer !== undefined) {
      if (this.#flushing === undefined) {
        clearTimeout(this.#timer)
        this.#timer = undefined
        this.#startFlush()
      }
      await this.#flushing
    }
  }

  /**
   * Refuses new writes, drops the queued ones (their callers get
   * {@link SessionWriterClosedError}: a node closing deletes all its rows
   * anyway) and resolves once the flush in progress, if any, is done.
   */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    const dropped = [...this.#ups.values(), ...this.#downs.values()]
    this.#ups.clear()
    this.#downs.clear()
    const err = new SessionWriterClosedError('presence is shutting down')
    for (const q of dropped) for (const w of q.waiters) w.reject(err)
    await this.#flushing
  }

  #queue(add: (waiter: Waiter) => void): Promise<void> {
    if (this.#closed) return Promise.reject(new SessionWriterClosedError('presence is shutting down'))
    return new Promise<void>((resolve, reject) => {
      add({ resolve, reject })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#flushing !== undefined || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#startFlush()
    }, this.#delayMs)
  }

  #startFlush(): void {
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined
      if (this.#ups.size + this.#downs.size > 0) this.#schedule()
    })
  }

  async #flush(): Promise<void> {
    const ups = take(this.#ups, this.#maxRows)
    const downs = take(this.#downs, this.#maxRows - ups.length)
    if (ups.length > 0) await settle(ups, withTransaction(this.#db, (trx) => upsertSessions(trx, this.#node, ups.map((q) => q.row))))
    if (downs.length > 0) await settle(downs, withTransaction(this.#db, (trx) => deleteSessions(trx, this.#node.nodeId, downs.map((q) => q.row))))
  }
}

/** Removes and returns up to `n` entries of `queue`, oldest first. */
function take<T>(queue: Map<string, Queued<T>>, n: number): Queued<T>[] {
  const out: Queued<T>[] = []
  for (const [key, q] of queue) {
    if (out.length >= n) break
    out.push(q)
    queue.delete(key)
  }
  return out
}

/** Settles every waiter of `items` with `write`'s outcome; never rejects. */
async function settle(items: readonly Queued<unknown>[], write: Promise<void>): Promise<void> {
  try {
    await write
    for (const q of items) for (const w of q.waiters) w.resolve()
  } catch (err) {
    for (const q of items) for (const w of q.waiters) w.reject(err)
  }
}
