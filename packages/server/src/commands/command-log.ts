/**
 * The slice of the per-org log service (src/log, `ctx.log`) that commands
 * and the agent gateway use, declared here so these features depend on
 * what they call and nothing more (STYLE.md: declare the slice you use).
 * The log service itself signs checkpoints, gathers witness cosignatures
 * and serves proofs; nothing here trusts it beyond "it answers for its own
 * log": devices verify every proof it produces.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../db/schema.js'

/** A cosigned checkpoint as the log service reports it. */
export interface LatestCheckpoint {
  readonly size: number
  readonly rootHash: Uint8Array
  /** The cosigned C2SP checkpoint note, as devices receive it. */
  readonly note: string
}

/** Proof hashes (RFC 9162), as the log service returns them. */
export type ProofHashes = readonly Uint8Array[]

/** What commands and the gateway need from the log. */
export interface CommandLog {
  /**
   * Appends entries to `orgId`'s log, inside `trx` when given (committed
   * with the caller's other writes); resolves to their indexes, in order.
   */
  append(
    orgId: string,
    entries: readonly { kind: 'command'; refId: string; data: Uint8Array }[],
    trx?: Transaction<Database>,
  ): Promise<readonly number[]>
  /** Signs and cosigns a checkpoint over everything appended so far. */
  publish(orgId: string): Promise<{ readonly size: number; readonly note: string }>
  /** The latest cosigned checkpoint, or null before the first. */
  latest(orgId: string): LatestCheckpoint | null | Promise<LatestCheckpoint | null>
  inclusionProof(orgId: string, index: number, size: number): ProofHashes | Promise<ProofHashes>
  consistencyProof(orgId: string, from: number, to: number): ProofHashes | Promise<ProofHashes>
}
