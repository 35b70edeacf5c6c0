/**
 * The leaf hashes of each org's log, in memory, loaded from the database
 * once and extended as the log grows: what proofs and checkpoints are
 * computed from (protocol `merkle.*FromLeafHashes`).
 *
 * Correct under restarts, rollbacks and several server nodes because it
 * never writes: it only ever holds a prefix of the committed log, read from
 * `log_entries`. The log is append-only and entries never change, so a
 * prefix once read stays true; when a caller needs more, the missing
 * entries are read (committed rows only, so an append whose transaction
 * rolls back is never seen).
 *
 * Memory: about 100 bytes per entry (a 32-byte hash and its object).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'

/** Rows read per query when catching up. */
const PAGE = 10_000

/** Per-org leaf hashes, lazily extended from the database. */
export class LeafHashes {
  readonly #db: Kysely<Database>
  readonly #orgs = new Map<string, Uint8Array[]>()
  readonly #loading = new Map<string, Promise<void>>()

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /**
   * The leaf hashes of entries [0, size) of an org's log. Throws
   * SRV_INTERNAL when the database holds fewer (a caller asked for a size
   * it did not read from the log head) or the stored log has a gap.
   *
   * @example
   * const hashes = await leaves.prefix('acme', 12)
   * merkle.rootFromLeafHashes(hashes)
   */
  async prefix(orgId: string, size: number): Promise<readonly Uint8Array[]> {
    if ((this.#orgs.get(orgId)?.length ?? 0) < size) await this.#load(orgId, size)
    const have = this.#orgs.get(orgId) ?? []
    if (have.length < size) throw new ServerError('SRV_INTERNAL', `log of ${orgId} has ${have.length} entries, ${size} requested`)
    return have.slice(0, size)
  }

  /** Loads rows up to `size`, one loader per org at a time. */
  async #load(orgId: string, size: number): Promise<void> {
    for (;;) {
      const running = this.#loading.get(orgId)
      if (running === undefined) break
      await running.catch(() => {})
      if ((this.#orgs.get(orgId)?.length ?? 0) >= size) return
    }
    const job = this.#fetch(orgId, size).finally(() => this.#loading.delete(orgId))
    this.#loading.set(orgId, job)
    await job
  }

  async #fetch(orgId: string, size: number): Promise<void> {
    const list = this.#orgs.get(orgId) ?? []
    while (list.length < size) {
      const rows = await this.#db
        .selectFrom('log_entries')
        .select(['idx', 'leaf_hash'])
        .where('org_id', '=', orgId)
        .where('idx', '>=', list.length)
        .where('idx', '<', size)
        .orderBy('idx')
        .limit(PAGE)
        .execute()
      if (rows.length === 0) break
      for (const row of rows) {
        if (row.idx !== list.length) throw new ServerError('SRV_INTERNAL', `log of ${orgId} has a gap at index ${list.length}`)
        list.push(new Uint8Array(row.leaf_hash))
      }
    }
    this.#orgs.set(orgId, list)
  }
}
