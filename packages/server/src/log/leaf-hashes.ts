/**
 * The leaf hashes of each org's log, in memory, loaded from the database
 * once and extended as the log grows, as a tree of complete subtree hashes
 * (merkle-levels.ts): what checkpoints' root hashes and proofs are
 * computed from, in O(log n) per root or proof.
 *
 * Correct under restarts, rollbacks and several server nodes because it
 * never writes: it only ever holds a prefix of the committed log, read from
 * `log_entries`. The log is append-only and entries never change, so a
 * prefix once read stays true; when a caller needs more, the missing
 * entries are read (committed rows only, so an append whose transaction
 * rolls back is never seen).
 *
 * Memory: about 64 bytes per entry (its hash and its share of the levels above).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { MerkleLevels } from './merkle-levels.js'

/** Rows read per query when catching up. */
const PAGE = 10_000

/** Per-org leaf hashes, lazily extended from the database. */
export class LeafHashes {
  readonly #db: Kysely<Database>
  readonly #orgs = new Map<string, MerkleLevels>()
  readonly #loading = new Map<string, Promise<void>>()

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /**
   * The org's tree, holding at least entries [0, size) (maybe more: ask it
   * for the size you need). Throws SRV_INTERNAL when the database holds
   * fewer (a caller asked for a size it did not read from the log head) or
   * the stored log has a gap.
   *
   * @example
   * const tree = await leaves.tree('acme', 12)
   * tree.root(12) // merkle.rootFromLeafHashes of the first 12 leaf hashes
   */
  async tree(orgId: string, size: number): Promise<MerkleLevels> {
    if ((this.#orgs.get(orgId)?.size ?? 0) < size) await this.#load(orgId, size)
    const have = this.#orgs.get(orgId) ?? new MerkleLevels()
    if (have.size < size) throw new ServerError('SRV_INTERNAL', `log of ${orgId} has ${have.size} entries, ${size} requested`)
    return have
  }

  /** Loads rows up to `size`, one loader per org at a time. */
  async #load(orgId: string, size: number): Promise<void> {
    for (;;) {
      const running = this.#loading.get(orgId)
      if (running === undefined) break
      await running.catch(() => {})
      if ((this.#orgs.get(orgId)?.size ?? 0) >= size) return
    }
    const job = this.#fetch(orgId, size).finally(() => this.#loading.delete(orgId))
    this.#loading.set(orgId, job)
    await job
  }

  async #fetch(orgId: string, size: number): Promise<void> {
    const list = this.#orgs.get(orgId) ?? new MerkleLevels()
    // Set first: what is appended below is committed log, true even if a later page fails.
    this.#orgs.set(orgId, list)
    while (list.size < size) {
      const rows = await this.#db
        .selectFrom('log_entries')
        .select(['idx', 'leaf_hash'])
        .where('org_id', '=', orgId)
        .where('idx', '>=', list.size)
        .where('idx', '<', size)
        .orderBy('idx')
        .limit(PAGE)
        .execute()
      if (rows.length === 0) break
      for (const row of rows) {
        if (row.idx !== list.size) throw new ServerError('SRV_INTERNAL', `log of ${orgId} has a gap at index ${list.size}`)
        list.append(new Uint8Array(row.leaf_hash))
      }
    }
  }
}
