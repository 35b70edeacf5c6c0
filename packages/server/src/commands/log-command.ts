/**
 * Logging a command once its signatures reach the threshold:
 *
 * 1. build the DSSE envelope from the stored admin signatures and check it
 *    exactly as a device will (dsse.verifyEnvelope under the current root);
 * 2. in one transaction: append it to the org's log, record its index and
 *    logged text on the command (so the append happens once), and create
 *    one pending delivery per target (with its Merkle membership proof for
 *    committed sets);
 * 3. publish a checkpoint cosigned by the witness quorum;
 * 4. mark the command logged;
 * 5. tell the gateway.
 *
 * Why the deliveries go with the append (step 2), not after the publish:
 * devices run commands in log order (verifyCommand refuses one whose index
 * is below one they ran: PROTO_OUT_OF_ORDER, an alert), so the gateway must
 * send a device its deliveries in index order, and that needs every
 * delivery of a lower index to exist by the time a higher one can be sent. Appends of one org are serialised (log/org-log.ts: the
 * append lock, held to commit), so whoever sees command i+1's deliveries
 * also sees command i's. Created later, a command whose publication is
 * slow (or fails: witnesses down, and nobody signs again) would lose the
 * race to a later one that another checkpoint covers. Until a cosigned
 * checkpoint covers it, a delivery waits in the gateway
 * (agent-connection.ts); once one does, even another command's, it goes,
 * and the gateway moves the command on from `awaiting-signatures` itself
 * (gateway/batched-writes.ts): a sent delivery proves the checkpoint.
 *
 * Exactly once, however many requests (or server nodes) reach the threshold
 * together: a request first claims the command with a conditional UPDATE
 * (`logging_since`), and only the claim holder goes on. A claim expires
 * after {@link CLAIM_TTL_MS}, so a crash never wedges a command; whoever
 * takes over finds `log_index` set and resumes at step 3. Steps 2 and 4 are
 * conditional updates too, so even an expired claim cannot log twice.
 */
import { COMMAND_PAYLOAD_TYPE, dsse, parseCommandPayload, toBase64, utf8, type TargetProof } from '@palisade/protocol'
import type { Kysely, Transaction } from 'kysely'
import { withTransaction } from '../db/transaction.js'
import type { Database, NewRow } from '../db/schema.js'
import { ServerError } from '../errors.js'
import type { CommandLog } from './command-log.js'
import { commandIdOf } from './command-key.js'
import { currentRoot } from './org-roots.js'
import { allTargetProofs } from './target-prover.js'

/** How long a claim to log a command holds before another request may take over. */
export const CLAIM_TTL_MS = 120_000

/** Rows per INSERT when creating deliveries (SQL parameter limits). */
const INSERT_CHUNK = 200

/** What logging needs. */
export interface LogCommandDeps {
  readonly db: Kysely<Database>
  readonly log: CommandLog
  /** Called once the command is logged (its checkpoint published), with the command key. */
  readonly dispatch: (commandKey: string) => void
}

/**
 * Logs command `key` of `org` unless it is logged already or another
 * request holds the claim. Resolves true when this call finished logging
 * it (and told the gateway), false when it had nothing to do. Throws
 * whatever the log throws (a WitnessQuorumError when witnesses do not
 * cosign); the claim is then released, and the next signature — or the
 * same one sent again — retries from where this one stopped.
 *
 * @example
 * if (signatures >= threshold) await logCommand(deps, 'acme', 'acme/cmd-1')
 */
export async function logCommand(deps: LogCommandDeps, org: string, key: string, now = Date.now()): Promise<boolean> {
  const { db, log } = deps
  const claimed = await db
    .updateTable('commands')
    .set({ logging_since: now })
    .where('id', '=', key)
    .where('status', '=', 'awaiting-signatures')
    .where((eb) => eb.or([eb('logging_since', 'is', null), eb('logging_since', '<', now - CLAIM_TTL_MS)]))
    .executeTakeFirst()
  if (Number(claimed.numUpdatedRows) === 0) return false
  try {
    const command = await db.selectFrom('commands').select(['payload', 'target_ids', 'log_index']).where('id', '=', key).executeTakeFirstOrThrow()
    const targetIds = JSON.parse(command.target_ids ?? '[]') as string[]
    const resumed = command.log_index !== null
    if (!resumed) await appendOnce(deps, org, key, command.payload, deliveryRows(key, command.payload, targetIds))
    await log.publish(org)

    const logged = await withTransaction(db, async (trx) => {
      // Appended by an older server, which created deliveries only here, and
      // interrupted before it: created now, so never lost (though a device
      // may have had later commands first: the race this module now avoids).
      if (resumed && targetIds.length > 0) {
        const any = await trx.selectFrom('deliveries').select('device_id').where('command_id', '=', key).limit(1).executeTakeFirst()
        if (any === undefined) await insertDeliveries(trx, deliveryRows(key, command.payload, targetIds))
      }
      const marked = await trx
        .updateTable('commands')
        .set({ status: targetIds.length === 0 ? 'done' : 'logged', logging_since: null })
        .where('id', '=', key)
        .where('status', '=', 'awaiting-signatures')
        .where('log_index', 'is not', null)
        .executeTakeFirst()
      if (Number(marked.numUpdatedRows) > 0) return true
      // Already moved on: a device got it under another command's checkpoint
      // (the gateway marked it delivering or done), or a request that took
      // over an expired claim marked it. Logged either way.
      const current = await trx.selectFrom('commands').select(['status', 'log_index']).where('id', '=', key).executeTakeFirstOrThrow()
      return current.status !== 'awaiting-signatures' && current.log_index !== null
    })
    // Sending twice is harmless (dispatch reads what is still pending, and
    // a connection never resends what it has in flight).
    if (logged) deps.dispatch(key)
    return logged
  } catch (e) {
    await db
      .updateTable('commands')
      .set({ logging_since: null })
      .where('id', '=', key)
      .where('status', '=', 'awaiting-signatures')
      .execute()
      .catch(() => {})
    throw e
  }
}

/** One pending delivery per target, with its membership proof when the payload commits to a Merkle target set. */
function deliveryRows(key: string, payload: Uint8Array, targetIds: readonly string[]): NewRow<'deliveries'>[] {
  const proofs = parseCommandPayload(payload).targets.kind === 'merkle' ? allTargetProofs(targetIds) : undefined
  const updatedAt = Date.now()
  return targetIds.map((deviceId) => ({
    command_id: key,
    device_id: deviceId,
    status: 'pending',
    updated_at: updatedAt,
    attempts: 0,
    target_proof: proofs === undefined ? null : encodeTargetProof(proofs.get(deviceId)!),
  }))
}

async function insertDeliveries(trx: Transaction<Database>, rows: readonly NewRow<'deliveries'>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await trx.insertInto('deliveries').values(rows.slice(i, i + INSERT_CHUNK)).execute()
}

/**
 * Appends the envelope, records its index and text on the command, and
 * creates its deliveries, in one transaction (see the module comment).
 */
async function appendOnce(deps: LogCommandDeps, org: string, key: string, payload: Uint8Array, deliveries: readonly NewRow<'deliveries'>[]): Promise<void> {
  const envelope = await buildEnvelope(deps.db, org, key, payload)
  await withTransaction(deps.db, async (trx) => {
    const [index] = await deps.log.append(org, [{ kind: 'command', refId: commandIdOf(key), data: utf8(envelope) }], trx)
    if (index === undefined) throw new ServerError('SRV_INTERNAL', 'the log returned no index for an appended entry')
    const recorded = await trx
      .updateTable('commands')
      .set({ log_index: index, envelope })
      .where('id', '=', key)
      .where('log_index', 'is', null)
      .executeTakeFirst()
    // Someone else appended it meanwhile: roll this append back.
    if (Number(recorded.numUpdatedRows) === 0) throw new ServerError('SRV_CONFLICT', 'the command was logged concurrently')
    await insertDeliveries(trx, deliveries)
  })
}

/**
 * The envelope with every stored signature of an admin of the current
 * root, verified as devices will verify it before anything is logged.
 */
async function buildEnvelope(db: Kysely<Database>, org: string, key: string, payload: Uint8Array): Promise<string> {
  const current = await currentRoot(db, org)
  if (current === undefined) throw new ServerError('SRV_INTERNAL', `org ${org} has no root`)
  const root = current.root
  const admins = new Set(root.admins.map((a) => a.id))
  const stored = await db.selectFrom('command_signatures').select(['keyid', 'sig']).where('command_id', '=', key).orderBy('keyid').execute()
  const signatures = stored.filter((s) => admins.has(s.keyid)).map((s) => ({ keyid: s.keyid, sig: new Uint8Array(s.sig) }))
  const text = dsse.formatEnvelope({ payloadType: COMMAND_PAYLOAD_TYPE, payload: new Uint8Array(payload), signatures })
  // Throws PROTO_SIG_THRESHOLD if, say, a rotation removed a signer since it signed.
  dsse.verifyEnvelope(dsse.parseEnvelope(text), {
    payloadType: COMMAND_PAYLOAD_TYPE,
    keys: root.admins.map((a) => ({ keyid: a.id, publicKey: a.publicKey })),
    threshold: root.thresholds.command,
  })
  return text
}

/** The JSON stored in deliveries.target_proof. */
export function encodeTargetProof(p: TargetProof): string {
  return JSON.stringify({ index: p.index, proof: p.proof.map(toBase64) })
}
