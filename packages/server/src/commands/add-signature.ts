/**
 * Collecting admin signatures on a command. The server holds no admin key
 * and decides nothing: it stores a signature only when it verifies, over
 * the DSSE PAE of the stored payload bytes, under the key that an admin of
 * the org's CURRENT root holds, and it logs the command once the root's
 * command threshold of distinct admins has signed (log-command.ts).
 *
 * A signature is stored (committed) before any attempt to log, so it is
 * never lost: if logging fails (witnesses down), the next signature — or
 * the same one sent again, which is an idempotent 200 — retries. A valid
 * signature that arrives after the command was logged is recorded (an
 * approval on file) but changes nothing: the logged envelope is final.
 *
 * The signature is stored through the caller's `store` runner: the route's
 * records the `command.sign` audit event in the same transaction, so a
 * stored signature always has its event and an event always its signature.
 * Logging runs after that commit (it waits for witnesses, so no transaction
 * can span it); its failure is the caller's error answer, while the event
 * rightly says the signature was accepted.
 */
import { COMMAND_PAYLOAD_TYPE, cryptoProvider, dsse, fromBase64, ProtocolError } from '@palisade/protocol'
import type { TransactionRunner } from '../audit/audited-transaction.js'
import { ServerError } from '../errors.js'
import { commandKey } from './command-key.js'
import type { CommandStatus } from './command-status.js'
import { logCommand, type LogCommandDeps } from './log-command.js'
import { currentRoot } from './org-roots.js'

/** The answer of POST …/signatures. */
export interface SignatureTally {
  /** Distinct admins of the current root who signed. */
  readonly signatures: number
  readonly threshold: number
  readonly status: CommandStatus
}

/** Options of {@link addSignature}. */
export interface AddSignatureOptions {
  /** Runs the insert of the signature in a transaction (a route: `auditedTransactionRunner`). */
  readonly store: TransactionRunner
  /** Milliseconds since the epoch (default Date.now()). */
  readonly now?: number
}

/** Logging in flight in this process, by command key, so concurrent signers can wait for its outcome. */
export type InFlightLogging = Map<string, Promise<boolean>>

/**
 * Verifies and stores `sig` (base64) by admin key `keyid` on command `id`
 * of `org`, logs the command when the threshold is met, and returns the
 * tally.
 *
 * @example
 * await addSignature(deps, inFlight, 'acme', 'cmd-1', 'd75a980182b10ab7', sigB64, { store: auditedTransactionRunner(db, request) })
 * // { signatures: 2, threshold: 2, status: 'logged' }
 */
export async function addSignature(
  deps: LogCommandDeps,
  inFlight: InFlightLogging,
  org: string,
  id: string,
  keyid: string,
  sigB64: string,
  options: AddSignatureOptions,
): Promise<SignatureTally> {
  const { db } = deps
  const now = options.now ?? Date.now()
  const key = commandKey(org, id)
  const command = await db.selectFrom('commands').select(['payload', 'status', 'not_after']).where('id', '=', key).where('org_id', '=', org).executeTakeFirst()
  if (command === undefined) throw new ServerError('SRV_NOT_FOUND', `no command ${id} in this org`)
  const current = await currentRoot(db, org)
  if (current === undefined) throw new ServerError('SRV_CONFLICT', 'the org has no root of trust yet')
  const root = current.root
  // A frozen root (incident freeze) stops approvals here too: devices would
  // refuse the command anyway (PROTO_FROZEN), but logging it while frozen
  // would leave an approved command waiting to run the moment the org thaws.
  if (root.frozen && command.status === 'awaiting-signatures') {
    throw new ProtocolError('PROTO_FROZEN', `root v${root.version} freezes all commands: ${id} cannot be approved until the org is unfrozen`)
  }
  const admin = root.admins.find((a) => a.id === keyid)
  if (admin === undefined) {
    throw new ServerError('SRV_VALIDATION', `keyid ${keyid} is not an admin key of root v${root.version}`, {
      errors: [{ path: '/body/keyid', message: `is not an admin key of root v${root.version}` }],
    })
  }
  let sig: Uint8Array
  try {
    sig = fromBase64(sigB64, 'sig')
  } catch {
    throw new ServerError('SRV_VALIDATION', 'sig is not standard padded base64', { errors: [{ path: '/body/sig', message: 'must be standard padded base64' }] })
  }
  const message = dsse.pae(COMMAND_PAYLOAD_TYPE, new Uint8Array(command.payload))
  if (sig.length !== 64 || !cryptoProvider().verify(admin.publicKey, message, sig)) {
    throw new ProtocolError('PROTO_SIG_INVALID', `the signature does not verify under the key of admin ${admin.name} over this command's payload`)
  }
  if (command.status === 'awaiting-signatures' && command.not_after < now) {
    throw new ProtocolError('PROTO_EXPIRED', `command ${id} expired before it was approved; draft a new one`)
  }
  await options.store((trx) =>
    trx
      .insertInto('command_signatures')
      .values({ command_id: key, keyid, sig: new Uint8Array(sig), created_at: now })
      .onConflict((oc) => oc.columns(['command_id', 'keyid']).doNothing())
      .execute(),
  )

  let signatures = await countAdminSignatures(deps, key, root.admins.map((a) => a.id))
  const threshold = root.thresholds.command
  if (command.status === 'awaiting-signatures' && signatures >= threshold) {
    let running = inFlight.get(key)
    if (running === undefined) {
      running = logCommand(deps, org, key).finally(() => inFlight.delete(key))
      inFlight.set(key, running)
      await running
    } else {
      // Another request here is logging it: report its outcome, not a stale status. Its failure is its to report.
      await running.catch(() => false)
    }
    signatures = await countAdminSignatures(deps, key, root.admins.map((a) => a.id))
  }
  const after = await db.selectFrom('commands').select('status').where('id', '=', key).executeTakeFirstOrThrow()
  return { signatures, threshold, status: after.status as CommandStatus }
}

async function countAdminSignatures(deps: LogCommandDeps, key: string, adminIds: readonly string[]): Promise<number> {
  const rows = await deps.db.selectFrom('command_signatures').select('keyid').where('command_id', '=', key).execute()
  const admins = new Set(adminIds)
  return rows.filter((r) => admins.has(r.keyid)).length
}
