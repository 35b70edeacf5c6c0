/**
 * The per-org transparency log (DESIGN.md "Log", G2, G4): entries (root
 * versions and commands, as the exact signed bytes), RFC 6962 hashing,
 * C2SP checkpoints signed with the org's log key, and cosignatures from
 * the org's witnesses.
 *
 * THE SERVER HOLDS THE LOG KEY. Whoever owns the server (A1 in the threat
 * model) can sign any checkpoint with it: a forked or rewritten history, a
 * checkpoint that omits an entry. That is why a checkpoint counts only
 * once a quorum of independent witnesses has cosigned it (a witness cosigns
 * only what extends what it saw, so two histories need the witnesses to
 * sign both), and why devices check every checkpoint for consistency with
 * the last one they accepted. Nothing here is trusted by devices; this
 * module makes the proofs they check.
 *
 * Publishing is serialized per org and coalesced: callers that arrive while
 * a publish is running share the next one, so many commands share one
 * checkpoint and witnesses see one request per round, not per command.
 *
 * Freshness (re-publication): devices raise AGENT_CHECKPOINT_STALE when the
 * newest checkpoint they saw is older, by witness cosignature time, than
 * the root's checkpointMaxAgeSeconds. So a publish with nothing new to log
 * re-collects cosignatures for the current size once the latest checkpoint
 * is {@link refreshIntervalSeconds} old (C2SP witnesses cosign an unchanged
 * size again, with a new timestamp, when offered it with old = size and an
 * empty proof), and stores the re-cosigned note over the old one. The
 * gateway calls publish for every org with a connected agent on a timer
 * (agent-gateway.ts), so an honest, idle server keeps devices fresh. Every
 * new or re-cosigned checkpoint is announced to {@link onPublished} listeners.
 *
 * Several server nodes (PostgreSQL): appends take the org's advisory lock
 * in their transaction before reading the log head, and publications run
 * under the org's session advisory lock (org-lock.ts), re-reading the head
 * and the latest checkpoint once they hold it. So indexes are dense and
 * never reused, witnesses are never offered two checkpoints at once, and
 * no node ever publishes a second, different checkpoint of a size already
 * published (which witnesses would rightly take for a fork). The leaf-hash
 * cache (leaf-hashes.ts) reads whatever other nodes appended before a root
 * is computed.
 */
import { checkpoint, cosignature, formatRootLine, merkle, note, type Root } from '@palisade/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { currentRoot } from '../commands/org-roots.js'
import { withTransaction } from '../db/transaction.js'
import { ServerError } from '../errors.js'
import { httpWitnessClient, type WitnessClient } from '../witness-client/witness-client.js'
import { appendEntries, type LogEntryInput, type LogEntryKind } from './append-entries.js'
import { collectCosignatures, type WitnessOutcome } from './cosign-checkpoint.js'
import { cosignFirstCheckpoint, writeFirstCheckpoint, type FirstCheckpoint, type FirstCheckpointRequest } from './first-checkpoint.js'
import { LeafHashes } from './leaf-hashes.js'
import type { MerkleLevels } from './merkle-levels.js'
import { lockAppend, PublishLock } from './org-lock.js'
import { Lru } from './lru.js'
import { PublishQueue } from './publish-queue.js'
import { WitnessQuorumError } from './witness-quorum-error.js'
import { quorumError, recordWitnessOutcomes, witnessTargets } from './witness-state.js'

export type { FirstCheckpoint, FirstCheckpointRequest } from './first-checkpoint.js'
export type { LogEntryInput, LogEntryKind } from './append-entries.js'

/** The slice of a pino/Fastify logger the log uses. */
export interface LogSink {
  warn(obj: Record<string, unknown>, msg: string): void
}

/** Options of {@link OrgLog}. */
export interface OrgLogOptions {
  readonly db: Kysely<Database>
  /** Default: httpWitnessClient() (5 s deadline, 64 KiB answers). */
  readonly witnessClient?: WitnessClient
  /** Where witness failures are reported (default: nowhere). */
  readonly logger?: LogSink
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
  /** Where publication and witness latencies go (metrics/server-metrics.ts). */
  readonly metrics?: LogMetricsSink
}

/** The slice of the server metrics the log reports to. */
export interface LogMetricsSink {
  checkpointPublished(org: string, size: number, seconds: number): void
  witnessRequest(witness: string, seconds: number): void
}

/** A cosigned checkpoint as published. */
export interface PublishedCheckpoint {
  readonly size: number
  /** The checkpoint note: log signature and witness cosignatures. */
  readonly note: string
}

/** The latest cosigned checkpoint, with its root hash. */
export interface LatestCheckpoint extends PublishedCheckpoint {
  readonly rootHash: Uint8Array
}

/** A stored log entry. */
export interface LogEntry {
  readonly index: number
  readonly kind: LogEntryKind
  readonly refId: string
  readonly data: Uint8Array
}

/** Most entries one `entries` call returns. */
export const MAX_ENTRIES_PAGE = 1000

/** The longest an idle log goes without re-cosigning (when the root sets no shorter max age). */
export const MAX_REFRESH_INTERVAL_SECONDS = 3600

/**
 * How old (seconds, by cosignature time) the latest checkpoint of a log
 * under `root` may grow before a publish re-cosigns it: a quarter of the
 * root's checkpointMaxAgeSeconds, at most an hour, so a device sees several
 * chances to get a fresh one before it would raise a staleness alert.
 *
 * @example
 * refreshIntervalSeconds(root) // 3600 for a 24 h max age (a quarter, 21600, is capped); 75 for 300 s
 */
export function refreshIntervalSeconds(root: Root): number {
  const maxAge = root.checkpointMaxAgeSeconds
  return maxAge === null ? MAX_REFRESH_INTERVAL_SECONDS : Math.min(Math.floor(maxAge / 4), MAX_REFRESH_INTERVAL_SECONDS)
}

/** Called with every checkpoint published or re-cosigned. Must not throw. */
export type PublishListener = (orgId: string, published: PublishedCheckpoint) => void

/** A failed re-cosigning is not retried sooner than this (witnesses may be down). */
const REFRESH_RETRY_MS = 5 * 60 * 1000

interface LogKey {
  readonly origin: string
  /** The verifier key text, as a root names it. */
  readonly verifierKey: string
  readonly signer: note.Signer
  readonly verifier: note.Verifier
}

/**
 * The log service; create one per server and share it (RouteContext.log).
 *
 * @example
 * const log = new OrgLog({ db, logger })
 * const [index] = await log.append('acme', [{ kind: 'command', refId: id, data: utf8(envelopeJson) }])
 * const { size, note } = await log.publish('acme') // cosigned by a witness quorum, or WitnessQuorumError
 * const proof = await log.inclusionProof('acme', index, size)
 */
export class OrgLog {
  readonly #db: Kysely<Database>
  readonly #client: WitnessClient
  readonly #logger: LogSink | undefined
  readonly #now: () => number
  readonly #leaves: LeafHashes
  readonly #keys = new Map<string, LogKey>()
  readonly #proofs = new Lru<string, readonly Uint8Array[]>(4096)
  readonly #treeRoots = new Lru<string, Uint8Array>(1024)
  readonly #queue = new PublishQueue<PublishedCheckpoint>()
  readonly #listeners = new Set<PublishListener>()
  /** Cosigned-at time (seconds) of the latest note per org, by note text. */
  readonly #cosignedAt = new Lru<string, number | null>(1024)
  /** When a re-cosigning last failed, per org (ms). */
  readonly #refreshFailedAt = new Map<string, number>()
  readonly #lock: PublishLock
  readonly #metrics: LogMetricsSink | undefined

  constructor(options: OrgLogOptions) {
    this.#db = options.db
    this.#metrics = options.metrics
    this.#client = timedClient(options.witnessClient ?? httpWitnessClient(), options.metrics)
    this.#logger = options.logger
    this.#now = options.now ?? Date.now
    this.#leaves = new LeafHashes(options.db)
    this.#lock = new PublishLock(options.db)
  }

  /**
   * Appends entries to the org's log and returns their indexes, which are
   * consecutive. With `trx` the append joins the caller's transaction (so
   * that, say, a command's status and its log entry commit together);
   * without, it runs in its own. Call {@link publish} once the transaction
   * has committed: a publish only sees committed entries.
   *
   * @example
   * await withTransaction(db, async (trx) => {
   *   const [index] = await log.append(org, [{ kind: 'command', refId: id, data }], trx)
   *   await trx.updateTable('commands').set({ log_index: index }).where('id', '=', id).execute()
   * })
   * await log.publish(org)
   */
  async append(orgId: string, entries: readonly LogEntryInput[], trx?: Transaction<Database>): Promise<number[]> {
    const now = this.#now()
    const run = async (t: Kysely<Database>): Promise<number[]> => {
      // Before the head is read: see the module comment on several nodes.
      await lockAppend(t, orgId)
      return appendEntries(t, orgId, entries, now)
    }
    if (trx !== undefined) return run(trx)
    return withTransaction(this.#db, run)
  }

  /**
   * Publishes a checkpoint of everything committed so far, cosigned by at
   * least the current root's `witnesses.quorum` distinct witnesses, and
   * returns it (or the latest one, when nothing was appended since).
   * Throws {@link WitnessQuorumError} (SRV_UNAVAILABLE) naming the failed
   * witnesses when the quorum is not met; nothing is published then.
   * Concurrent calls for one org share work (see the module comment).
   *
   * @example
   * const { size, note } = await log.publish('acme')
   */
  publish(orgId: string): Promise<PublishedCheckpoint> {
    return this.#queue.run(orgId, (org) => this.#lock.run(org, () => this.#publishNow(org)))
  }

  /**
   * Registers a listener for every checkpoint published or re-cosigned
   * (the gateway pushes them to connected agents); returns its removal.
   *
   * @example
   * const off = log.onPublished((org, { size }) => gateway.checkpointPublished(org))
   */
  onPublished(listener: PublishListener): () => void {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  /** The latest cosigned checkpoint, or null when none was published. */
  async latest(orgId: string): Promise<LatestCheckpoint | null> {
    const row = await this.#db
      .selectFrom('checkpoints')
      .select(['size', 'root_hash', 'note'])
      .where('org_id', '=', orgId)
      .where('cosigned', '=', 1)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row === undefined ? null : Object.freeze({ size: row.size, rootHash: new Uint8Array(row.root_hash), note: row.note })
  }

  /** Every cosigned checkpoint, by size. */
  async checkpoints(orgId: string): Promise<PublishedCheckpoint[]> {
    const rows = await this.#db
      .selectFrom('checkpoints')
      .select(['size', 'note'])
      .where('org_id', '=', orgId)
      .where('cosigned', '=', 1)
      .orderBy('size')
      .execute()
    return rows.map((r) => Object.freeze({ size: r.size, note: r.note }))
  }

  /** The number of committed entries (cosigned or not yet). 0 for an org without a log. */
  async size(orgId: string): Promise<number> {
    const row = await this.#db.selectFrom('log_heads').select('size').where('org_id', '=', orgId).executeTakeFirst()
    return row?.size ?? 0
  }

  /**
   * Entries [start, end) (end clamped to the log size), at most
   * {@link MAX_ENTRIES_PAGE}. SRV_VALIDATION for a bad range.
   *
   * @example
   * const page = await log.entries('acme', 0, 100)
   */
  async entries(orgId: string, start: number, end: number): Promise<LogEntry[]> {
    if (!isCount(start) || !isCount(end) || end < start) throw invalid('start and end must satisfy 0 <= start <= end')
    if (end - start > MAX_ENTRIES_PAGE) throw invalid(`at most ${MAX_ENTRIES_PAGE} entries per page`)
    if (end === start) return []
    const rows = await this.#db
      .selectFrom('log_entries')
      .select(['idx', 'kind', 'ref_id', 'leaf_data'])
      .where('org_id', '=', orgId)
      .where('idx', '>=', start)
      .where('idx', '<', end)
      .orderBy('idx')
      .execute()
    return rows.map((r) => Object.freeze({ index: r.idx, kind: r.kind as LogEntryKind, refId: r.ref_id, data: new Uint8Array(r.leaf_data) }))
  }

  /**
   * The RFC 9162 inclusion proof of entry `index` in the tree of `size`
   * entries. SRV_VALIDATION unless 0 <= index < size <= log size.
   *
   * @example
   * const proof = await log.inclusionProof('acme', 5, latest.size)
   * merkle.verifyInclusion(leafHash, 5, latest.size, proof, latest.rootHash) // true
   */
  async inclusionProof(orgId: string, index: number, size: number): Promise<readonly Uint8Array[]> {
    if (!isCount(index) || !isCount(size) || index >= size) throw invalid('index must be below size')
    const key = `${orgId}\0i\0${index}\0${size}`
    const cached = this.#proofs.get(key)
    if (cached !== undefined) return cached
    const proof = (await this.#tree(orgId, size)).inclusion(index, size)
    this.#proofs.set(key, proof)
    return proof
  }

  /**
   * The RFC 9162 consistency proof from the tree of `from` entries to the
   * tree of `to`. Empty when from = to. SRV_VALIDATION unless
   * 0 < from <= to <= log size.
   *
   * @example
   * const proof = await log.consistencyProof('acme', deviceSeen.size, latest.size)
   */
  async consistencyProof(orgId: string, from: number, to: number): Promise<readonly Uint8Array[]> {
    if (!isCount(from) || !isCount(to) || from === 0 || from > to) throw invalid('from and to must satisfy 0 < from <= to')
    const key = `${orgId}\0c\0${from}\0${to}`
    const cached = this.#proofs.get(key)
    if (cached !== undefined) return cached
    const proof = (await this.#tree(orgId, to)).consistency(from, to)
    this.#proofs.set(key, proof)
    return proof
  }

  /**
   * Setup, step 1 (nothing is written): signs the checkpoint of a new log
   * holding `entry` alone and gathers the witnesses' cosignatures. Throws
   * WitnessQuorumError when fewer than `quorum` cosign. Witnesses that did
   * cosign have now seen size 1 of this log: a retry must offer the same
   * entry, or they will rightly refuse it as a fork.
   */
  async cosignFirstCheckpoint(request: FirstCheckpointRequest): Promise<FirstCheckpoint> {
    try {
      return await cosignFirstCheckpoint(this.#client, request)
    } catch (e) {
      if (e instanceof WitnessQuorumError) for (const f of e.failures) this.#logger?.warn({ org: request.origin, ...f }, 'witness did not cosign')
      throw e
    }
  }

  /**
   * Setup, step 2, inside the setup transaction (after the org and its log
   * key rows): writes the log head, entry 0, the cosigned checkpoint and
   * the org's witnesses with what each has cosigned.
   */
  async writeFirstCheckpoint(
    trx: Transaction<Database>,
    orgId: string,
    first: FirstCheckpoint,
    witnesses: readonly { readonly key: string; readonly url: string }[],
  ): Promise<void> {
    await writeFirstCheckpoint(trx, orgId, first, witnesses, this.#now())
  }

  async #publishNow(orgId: string): Promise<PublishedCheckpoint> {
    const size = await this.size(orgId)
    if (size === 0) throw new ServerError('SRV_NOT_FOUND', `org ${orgId} has no log`)
    const latest = await this.latest(orgId)
    let refresh = false
    if (latest !== null && latest.size >= size) {
      // Nothing new: re-cosign the same size if it is getting old (see the module comment).
      if (!(await this.#refreshDue(orgId, latest))) return { size: latest.size, note: latest.note }
      refresh = true
    }
    try {
      const started = performance.now()
      const published = await this.#cosignAndStore(orgId, refresh ? latest!.size : size, refresh)
      this.#metrics?.checkpointPublished(orgId, published.size, (performance.now() - started) / 1000)
      this.#refreshFailedAt.delete(orgId)
      for (const l of this.#listeners) l(orgId, published)
      return published
    } catch (e) {
      if (!refresh) throw e
      // A failed refresh changes nothing: the latest checkpoint still stands.
      this.#refreshFailedAt.set(orgId, this.#now())
      this.#logger?.warn({ org: orgId, err: (e as Error).message }, 'could not re-cosign the latest checkpoint')
      return { size: latest!.size, note: latest!.note }
    }
  }

  /** True when the latest checkpoint is older (by its cosigned-at time) than the refresh interval of the root in force. */
  async #refreshDue(orgId: string, latest: LatestCheckpoint): Promise<boolean> {
    const failed = this.#refreshFailedAt.get(orgId)
    if (failed !== undefined && this.#now() - failed < REFRESH_RETRY_MS) return false
    const { root } = await this.#currentRoot(orgId)
    const key = await this.#logKey(orgId, root.log.key)
    let at = this.#cosignedAt.get(latest.note)
    if (at === undefined) {
      try {
        at = checkpoint.openCosignedCheckpoint(latest.note, {
          origin: root.log.origin,
          logVerifier: key.verifier,
          witnesses: root.witnesses.keys.map((k) => cosignature.witnessVerifierFromString(k)),
          quorum: root.witnesses.quorum,
        }).cosignedAt
      } catch {
        at = null // e.g. cosigned under an older root's witnesses: re-cosign under the current one
      }
      this.#cosignedAt.set(latest.note, at)
    }
    return at === null || this.#now() / 1000 - at >= refreshIntervalSeconds(root)
  }

  async #cosignAndStore(orgId: string, size: number, refresh: boolean): Promise<PublishedCheckpoint> {
    const { root, line } = await this.#currentRoot(orgId)
    const key = await this.#logKey(orgId, root.log.key)
    const rootHash = this.#treeRoot(orgId, size, await this.#tree(orgId, size))
    // The root line names the newest stored root: devices that were not
    // given it refuse (PROTO_ROOT_STALE), witnesses that know a newer one refuse to cosign.
    const body = checkpoint.format({ origin: key.origin, size, rootHash, extensions: [line] })
    const result = await collectCosignatures({
      body,
      signedNote: await note.sign(body, [key.signer]),
      size,
      consistencyProof: (old) => this.consistencyProof(orgId, old, size),
      witnesses: await witnessTargets(this.#db, orgId, root.witnesses.keys),
      client: this.#client,
    })
    this.#report(orgId, result.outcomes)
    const quorum = root.witnesses.quorum
    const ok = result.cosigners >= quorum
    if (ok) {
      // Never publish what devices would refuse: open it as a device does.
      try {
        checkpoint.openCosignedCheckpoint(result.note, {
          origin: root.log.origin,
          logVerifier: key.verifier,
          witnesses: root.witnesses.keys.map((k) => cosignature.witnessVerifierFromString(k)),
          quorum,
        })
      } catch (e) {
        // Ours, not the caller's: the root and the log key disagree.
        throw new ServerError('SRV_INTERNAL', `checkpoint ${size} of ${orgId} would not verify on devices`, { cause: e })
      }
    }
    const now = this.#now()
    await withTransaction(this.#db, async (trx) => {
      if (ok && refresh) {
        // Same size, same root hash, newer cosignatures: the note devices get from now on.
        await trx.updateTable('checkpoints').set({ note: result.note }).where('org_id', '=', orgId).where('size', '=', size).execute()
      } else if (ok) {
        await trx
          .insertInto('checkpoints')
          .values({ org_id: orgId, size, root_hash: rootHash, note: result.note, cosigned: 1, created_at: now })
          .onConflict((oc) => oc.columns(['org_id', 'size']).doNothing())
          .execute()
      }
      await recordWitnessOutcomes(trx, orgId, size, result.outcomes, now)
    })
    if (!ok) {
      // Another node may have published over these entries meanwhile.
      const after = await this.latest(orgId)
      if (!refresh && after !== null && after.size >= size) return { size: after.size, note: after.note }
      throw quorumError(size, quorum, result.cosigners, result.outcomes)
    }
    // Another node may have stored this size first: its note is the one.
    const stored = await this.#db
      .selectFrom('checkpoints')
      .select('note')
      .where('org_id', '=', orgId)
      .where('size', '=', size)
      .executeTakeFirstOrThrow()
    return Object.freeze({ size, note: stored.note })
  }

  /** The org's tree, holding at least `size` entries; SRV_VALIDATION beyond the log's size. */
  async #tree(orgId: string, size: number): Promise<MerkleLevels> {
    const have = await this.size(orgId)
    if (size > have) throw invalid(`size ${size} exceeds the log size ${have}`)
    return this.#leaves.tree(orgId, size)
  }

  #treeRoot(orgId: string, size: number, tree: MerkleLevels): Uint8Array {
    const key = `${orgId}\0${size}`
    let root = this.#treeRoots.get(key)
    if (root === undefined) {
      root = size === 0 ? merkle.rootFromLeafHashes([]) : tree.root(size)
      this.#treeRoots.set(key, root)
    }
    return root
  }

  /**
   * The org's log key; `named` is the key the newest root names. A rotation
   * to a new log key (roots/rotate-root.ts) replaces the stored key in the
   * transaction that stores the root, possibly on another node: a cached
   * key that is not the one the root names is read again.
   */
  async #logKey(orgId: string, named: string): Promise<LogKey> {
    const cached = this.#keys.get(orgId)
    if (cached !== undefined && cached.verifierKey === named) return cached
    const row = await this.#db.selectFrom('log_keys').selectAll().where('org_id', '=', orgId).executeTakeFirst()
    if (row === undefined) throw new ServerError('SRV_NOT_FOUND', `org ${orgId} has no log key`)
    const key: LogKey = Object.freeze({
      origin: row.origin,
      verifierKey: row.verifier_key,
      signer: await note.signerFromString(row.signer_key),
      verifier: note.verifierFromString(row.verifier_key),
    })
    this.#keys.set(orgId, key)
    return key
  }

  /**
   * The newest root version: its witnesses and quorum are what devices check
   * checkpoints against, and its root line goes into every checkpoint.
   */
  async #currentRoot(orgId: string): Promise<{ readonly root: Root; readonly line: string }> {
    // Verified when it was stored (setup, rotation); parsed (and cached) by org-roots.ts.
    const current = await currentRoot(this.#db, orgId)
    if (current === undefined) throw new ServerError('SRV_NOT_FOUND', `org ${orgId} has no root`)
    return { root: current.root, line: formatRootLine({ version: current.root.version, fingerprint: current.fingerprint }) }
  }

  #report(org: string, outcomes: readonly WitnessOutcome[]): void {
    for (const o of outcomes) {
      if (!o.ok) this.#logger?.warn({ org, witness: o.name, url: o.url, reason: o.reason }, 'witness did not cosign')
    }
  }
}

/** The witness client, timing each request by witness host when metrics are on. */
function timedClient(client: WitnessClient, metrics: LogMetricsSink | undefined): WitnessClient {
  if (metrics === undefined) return client
  return {
    async addCheckpoint(url, request) {
      const started = performance.now()
      try {
        return await client.addCheckpoint(url, request)
      } finally {
        metrics.witnessRequest(URL.canParse(url) ? new URL(url).host : 'invalid', (performance.now() - started) / 1000)
      }
    },
  }
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0
}

function invalid(message: string): ServerError<'SRV_VALIDATION'> {
  return new ServerError('SRV_VALIDATION', message)
}

