/**
 * The first checkpoint of an org's log, made during setup before the org
 * exists (see setup/create-org.ts): cosign first, write after, so that a
 * witness failure leaves nothing behind.
 */
import { checkpoint, merkle, note } from '@palisade/protocol'
import type { Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { WitnessClient } from '../witness-client/witness-client.js'
import { appendEntries, type LogEntryInput } from './append-entries.js'
import { collectCosignatures, type WitnessOutcome } from './cosign-checkpoint.js'
import { quorumError } from './witness-state.js'

/** The first checkpoint of a new log, cosigned but not yet stored. */
export interface FirstCheckpoint {
  readonly entry: LogEntryInput
  readonly rootHash: Uint8Array
  readonly note: string
  readonly outcomes: readonly WitnessOutcome[]
}

/** What {@link cosignFirstCheckpoint} needs. */
export interface FirstCheckpointRequest {
  readonly origin: string
  /** The log's signer key string (a secret). */
  readonly signerKey: string
  readonly entry: LogEntryInput
  /** The root line (formatRootLine) of root v1, the entry itself. */
  readonly rootLine: string
  readonly witnesses: readonly { readonly key: string; readonly url: string }[]
  readonly quorum: number
}

/**
 * Signs the checkpoint of a log holding `entry` alone and gathers the
 * witnesses' cosignatures; writes nothing. Throws WitnessQuorumError when
 * fewer than `quorum` cosign.
 */
export async function cosignFirstCheckpoint(client: WitnessClient, request: FirstCheckpointRequest): Promise<FirstCheckpoint> {
  const rootHash = merkle.rootFromLeafHashes([merkle.leafHash(request.entry.data)])
  const signer = await note.signerFromString(request.signerKey)
  const body = checkpoint.format({ origin: request.origin, size: 1, rootHash, extensions: [request.rootLine] })
  const result = await collectCosignatures({
    body,
    signedNote: await note.sign(body, [signer]),
    size: 1,
    consistencyProof: async () => [],
    witnesses: request.witnesses.map((w) => ({ key: w.key, url: w.url, lastSize: null })),
    client,
  })
  if (result.cosigners < request.quorum) throw quorumError(1, request.quorum, result.cosigners, result.outcomes)
  return Object.freeze({ entry: request.entry, rootHash, note: result.note, outcomes: result.outcomes })
}

/**
 * Writes the log of a new org inside the setup transaction (after the org
 * row): the head, entry 0, the cosigned checkpoint, and the org's
 * witnesses with what each has cosigned.
 */
export async function writeFirstCheckpoint(
  trx: Transaction<Database>,
  orgId: string,
  first: FirstCheckpoint,
  witnesses: readonly { readonly key: string; readonly url: string }[],
  now: number,
): Promise<void> {
  await trx.insertInto('log_heads').values({ org_id: orgId, size: 0 }).execute()
  await appendEntries(trx, orgId, [first.entry], now)
  await trx.insertInto('checkpoints').values({ org_id: orgId, size: 1, root_hash: first.rootHash, note: first.note, cosigned: 1, created_at: now }).execute()
  const byKey = new Map(first.outcomes.map((o) => [o.key, o]))
  for (const w of witnesses) {
    const o = byKey.get(w.key)
    await trx
      .insertInto('org_witnesses')
      .values({
        org_id: orgId,
        key: w.key,
        url: w.url,
        last_size: o?.ok === true ? 1 : null,
        last_cosigned_at: o?.ok === true ? now : null,
        last_error: o?.ok === false ? o.reason.slice(0, 500) : null,
        last_error_at: o?.ok === false ? now : null,
        created_at: now,
      })
      .execute()
  }
}
