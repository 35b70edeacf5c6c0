/**
 * What the server remembers about each org's witnesses: the URL to reach
 * each, and the largest checkpoint size each has cosigned (from which the
 * next request offers a consistency proof), plus the last failure.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { WitnessOutcome, WitnessTarget } from './cosign-checkpoint.js'
import { WitnessQuorumError } from './witness-quorum-error.js'

/**
 * The witnesses to ask, one per key of the root in force, in root order;
 * a key with no stored URL gets url '' (and fails as "no URL known").
 */
export async function witnessTargets(db: Kysely<Database>, orgId: string, rootKeys: readonly string[]): Promise<WitnessTarget[]> {
  const rows = await db.selectFrom('org_witnesses').select(['key', 'url', 'last_size']).where('org_id', '=', orgId).execute()
  const byKey = new Map(rows.map((r) => [r.key, r]))
  return rootKeys.map((key) => {
    const r = byKey.get(key)
    return { key, url: r?.url ?? '', lastSize: r?.last_size ?? null }
  })
}

/** Records each witness's outcome for a checkpoint of `size`: a success raises last_size, a failure sets last_error. */
export async function recordWitnessOutcomes(
  trx: Transaction<Database>,
  orgId: string,
  size: number,
  outcomes: readonly WitnessOutcome[],
  now: number,
): Promise<void> {
  for (const o of outcomes) {
    const row = trx.updateTable('org_witnesses').where('org_id', '=', orgId).where('key', '=', o.key)
    if (o.ok) {
      await row
        .set({ last_size: size, last_cosigned_at: now, last_error: null, last_error_at: null })
        // Never lower it: another node may have had a larger size cosigned meanwhile.
        .where((eb) => eb.or([eb('last_size', 'is', null), eb('last_size', '<=', size)]))
        .execute()
    } else {
      await row.set({ last_error: o.reason.slice(0, 500), last_error_at: now }).execute()
    }
  }
}

/** The error for a checkpoint of `size` that fewer than `quorum` witnesses cosigned. */
export function quorumError(size: number, quorum: number, cosigners: number, outcomes: readonly WitnessOutcome[]): WitnessQuorumError {
  const failures = outcomes.flatMap((o) => (o.ok ? [] : [{ witness: o.name, url: o.url, reason: o.reason }]))
  return new WitnessQuorumError(size, quorum, cosigners, failures)
}
