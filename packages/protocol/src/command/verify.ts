/**
 * verifyCommand: the single function an agent calls before it runs anything.
 * It decides, from the device's own trust state alone, whether a delivery
 * from the (untrusted) server may run. It checks, in this order:
 *
 *   G3  root updates follow the chain (each signed by old and new threshold),
 *       the root in force is not expired and not frozen;
 *   G1  a threshold of distinct admin keys of that root signed the command;
 *       it belongs to this org, targets this device, is inside its validity
 *       window (which the root bounds), and never ran here before;
 *   G2  the checkpoint is signed by the root's log key, for the root's
 *       origin, cosigned by a quorum of the root's witnesses; it carries
 *       exactly one root line (root-line.ts) that names no root newer than
 *       this device's (PROTO_ROOT_STALE: an update was withheld) and, at the
 *       same version, the same fingerprint; it extends the last checkpoint
 *       this device saw (no rollback, no fork); and the envelope bytes are
 *       in the log under it, at a leaf index above that of every command
 *       this device ran before (PROTO_OUT_OF_ORDER): commands run in log
 *       order, so a server cannot swap two ("install v2", "remove v1").
 *
 * Pure and synchronous: time comes in as `now` (unix seconds), crypto as a
 * provider. It never throws: every failure is a rejection with a stable
 * code, a sentence for humans, and the evidence in `details`.
 */
import { utf8 } from '../bytes.js'
import type { Checkpoint } from '../checkpoint/checkpoint.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { parseEnvelope } from '../dsse/envelope.js'
import { verifyEnvelopeWithSet } from '../dsse/verify.js'
import { ProtocolError, fail, type ProtocolErrorCode } from '../errors.js'
import { leafHash } from '../merkle/hash.js'
import { verifyInclusion } from '../merkle/verify.js'
import { requireUnexpired, verifyRootUpdate, type SignedRoot } from '../root/verify.js'
import { acceptCheckpoint } from './accept-checkpoint.js'
import type { Delivery } from './delivery.js'
import { COMMAND_PAYLOAD_TYPE, parseCommandPayload, type CommandPayload } from './payload.js'
import { adminKeySet } from './root-keys.js'
import { isTargeted } from './targets.js'
import { MAX_EXECUTED, type TrustState } from './trust-state.js'

/** How far ahead of a device's clock a command's notBefore may be. */
export const CLOCK_SKEW_SECONDS = 300

export interface Device {
  readonly id: string
}

export type VerifyResult =
  | {
      readonly ok: true
      readonly command: CommandPayload
      /** Key ids of the admins whose signatures counted. */
      readonly approvedBy: readonly string[]
      readonly checkpoint: Checkpoint
      readonly nextState: TrustState
    }
  | {
      readonly ok: false
      readonly code: ProtocolErrorCode
      readonly message: string
      /** Set when the payload could be read, so the rejection can name the command. */
      readonly commandId?: string
      readonly details?: Readonly<Record<string, unknown>>
    }

/**
 * @example
 * const r = verifyCommand(state, parseDelivery(msg), { id: deviceId }, Math.floor(Date.now() / 1000))
 * if (r.ok) { await persist(r.nextState); run(r.command) } else report(r.code, r.message)
 */
export function verifyCommand(state: TrustState, delivery: Delivery, device: Device, now: number, crypto?: CryptoProvider): VerifyResult {
  let commandId: string | undefined
  try {
    return check(state, delivery, device, now, crypto, (id) => (commandId = id))
  } catch (e) {
    const err =
      e instanceof ProtocolError ? e : new ProtocolError('PROTO_MALFORMED', 'the delivery could not be processed', { cause: e })
    return Object.freeze({
      ok: false,
      code: err.code,
      message: err.message,
      ...(commandId === undefined ? {} : { commandId }),
      ...(err.details === undefined ? {} : { details: err.details }),
    })
  }
}

function check(
  state: TrustState,
  delivery: Delivery,
  device: Device,
  now: number,
  crypto: CryptoProvider | undefined,
  named: (id: string) => void,
): VerifyResult {
  // G3: follow root updates, then the root in force must be live.
  const roots: SignedRoot[] = [...state.roots]
  for (const update of delivery.rootUpdates) roots.push(verifyRootUpdate(roots[roots.length - 1]!, update, crypto))
  const signedRoot = roots[roots.length - 1]!
  const root = signedRoot.root
  requireUnexpired(signedRoot, now)
  if (root.frozen) fail('PROTO_FROZEN', `root v${root.version} freezes all commands`)

  // G1: quorum of distinct admin keys over the exact payload bytes.
  const envelope = parseEnvelope(delivery.envelope)
  if (envelope.payloadType !== COMMAND_PAYLOAD_TYPE) {
    fail('PROTO_PAYLOAD_TYPE', `expected a command envelope (${COMMAND_PAYLOAD_TYPE})`)
  }
  const { signedBy } = verifyEnvelopeWithSet(envelope, COMMAND_PAYLOAD_TYPE, adminKeySet(root, crypto), root.thresholds.command)
  const command = parseCommandPayload(envelope.payload)
  named(command.id)
  if (command.org !== root.org) fail('PROTO_ORG_MISMATCH', `command is for org "${command.org}", this device belongs to "${root.org}"`)
  if (!isTargeted(command.targets, device.id, delivery.targetProof, crypto)) {
    fail('PROTO_NOT_TARGETED', `command ${command.id} does not target device ${device.id}`)
  }
  if (command.notAfter - command.notBefore > root.maxCommandValiditySeconds) {
    fail('PROTO_VALIDITY_TOO_LONG', `command ${command.id} is valid for ${command.notAfter - command.notBefore} s; root v${root.version} allows ${root.maxCommandValiditySeconds} s`)
  }
  if (now + CLOCK_SKEW_SECONDS < command.notBefore || now > command.notAfter) {
    fail('PROTO_EXPIRED', `command ${command.id} is valid from ${command.notBefore} to ${command.notAfter}; now is ${now}`)
  }
  if (Object.hasOwn(state.executed, command.id)) fail('PROTO_REPLAY', `command ${command.id} already ran on this device`)

  // G2: a checkpoint from this org's log, cosigned by a witness quorum, naming
  // the root in force, extending the last one this device saw (accept-checkpoint.ts)...
  const { checkpoint, seen, cosignedAt } = acceptCheckpoint(
    signedRoot,
    state.checkpoint,
    state.cosignedAt,
    delivery.checkpoint,
    delivery.consistencyProof,
    now,
    crypto,
  )
  // ...and includes these exact envelope bytes.
  const leaf = leafHash(utf8(delivery.envelope), crypto)
  if (
    delivery.leafIndex >= checkpoint.size ||
    !verifyInclusion(leaf, delivery.leafIndex, checkpoint.size, delivery.inclusionProof, checkpoint.rootHash, crypto)
  ) {
    fail('PROTO_NOT_IN_LOG', `command ${command.id} is not in the log at index ${delivery.leafIndex} of ${checkpoint.size}`)
  }
  // ...after every command this device ran. Checked once the index is proven
  // in the log, so a refusal is evidence of a reordering server, not of a
  // garbled frame; an honest redelivery of a command that ran is already
  // PROTO_REPLAY above (agents answer those without alarm).
  if (state.lastIndex !== null && delivery.leafIndex <= state.lastIndex) {
    fail('PROTO_OUT_OF_ORDER', `command ${command.id} is at log index ${delivery.leafIndex}, but this device already ran the command at index ${state.lastIndex}: commands run in log order`, {
      leafIndex: delivery.leafIndex,
      lastIndex: state.lastIndex,
    })
  }

  // Accepted: remember it until its window closes (later replays fail the window check anyway).
  const executed: Record<string, number> = {}
  for (const [id, notAfter] of Object.entries(state.executed)) if (notAfter >= now) executed[id] = notAfter
  executed[command.id] = command.notAfter
  if (Object.keys(executed).length > MAX_EXECUTED) fail('PROTO_TOO_LARGE', 'too many live commands remembered on this device')
  return Object.freeze({
    ok: true,
    command,
    approvedBy: Object.freeze([...signedBy]),
    checkpoint,
    nextState: Object.freeze({
      pinned: state.pinned,
      roots: Object.freeze(roots),
      checkpoint: seen,
      cosignedAt,
      executed: Object.freeze(executed),
      lastIndex: state.lastIndex === null ? delivery.leafIndex : Math.max(state.lastIndex, delivery.leafIndex),
    }),
  })
}
