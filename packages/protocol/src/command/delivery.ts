/**
 * What the server hands a device for one command. Every field here comes
 * from the untrusted server and is only a claim until verifyCommand checks
 * it against the device's own trust state.
 */
import { fromBase64, toBase64 } from '../bytes.js'
import { fail } from '../errors.js'
import { expectArray, expectInteger, expectObject, expectString } from '../json/expect.js'
import type { TargetProof } from './targets.js'

export interface Delivery {
  /** The DSSE envelope exactly as logged: these bytes are the log leaf. */
  readonly envelope: string
  readonly leafIndex: number
  readonly inclusionProof: readonly Uint8Array[]
  /** The cosigned checkpoint note the proofs refer to. */
  readonly checkpoint: string
  /** From the device's last checkpoint to this one; empty when it has none or the size is unchanged. */
  readonly consistencyProof: readonly Uint8Array[]
  /** Root versions newer than the device's, oldest first. */
  readonly rootUpdates: readonly string[]
  /** Present when the command targets a Merkle commitment. */
  readonly targetProof?: TargetProof
}

export const DELIVERY_MAX_ENVELOPE = 1024 * 1024
const MAX_PROOF = 64

function hashes(v: unknown, where: string): Uint8Array[] {
  return expectArray(v, where, 0, MAX_PROOF).map((h, i) => {
    const b = fromBase64(expectString(h, `${where}[${i}]`, undefined, 64), `${where}[${i}]`)
    if (b.length !== 32) fail('PROTO_MALFORMED', `${where}[${i}] must be a 32-byte hash`)
    return b
  })
}

/** Parses the JSON form of a delivery (as sent over the agent gateway). */
export function parseDelivery(v: unknown): Delivery {
  const o = expectObject(v, 'delivery', [
    'envelope', 'leafIndex', 'inclusionProof', 'checkpoint', 'consistencyProof', 'rootUpdates', 'targetProof',
  ])
  let targetProof: TargetProof | undefined
  if (o.targetProof !== undefined) {
    const t = expectObject(o.targetProof, 'delivery.targetProof', ['index', 'proof'])
    targetProof = Object.freeze({
      index: expectInteger(t.index, 'delivery.targetProof.index', 0, 2 ** 32),
      proof: Object.freeze(hashes(t.proof, 'delivery.targetProof.proof')),
    })
  }
  const d: Delivery = {
    envelope: expectString(o.envelope, 'delivery.envelope', undefined, DELIVERY_MAX_ENVELOPE),
    leafIndex: expectInteger(o.leafIndex, 'delivery.leafIndex', 0, Number.MAX_SAFE_INTEGER),
    inclusionProof: Object.freeze(hashes(o.inclusionProof, 'delivery.inclusionProof')),
    checkpoint: expectString(o.checkpoint, 'delivery.checkpoint', undefined, 64 * 1024),
    consistencyProof: Object.freeze(hashes(o.consistencyProof ?? [], 'delivery.consistencyProof')),
    rootUpdates: Object.freeze(
      expectArray(o.rootUpdates ?? [], 'delivery.rootUpdates', 0, 64).map((r, i) =>
        expectString(r, `delivery.rootUpdates[${i}]`, undefined, 128 * 1024),
      ),
    ),
    ...(targetProof === undefined ? {} : { targetProof }),
  }
  return Object.freeze(d)
}

/** The JSON form of a delivery. */
export function formatDelivery(d: Delivery): Record<string, unknown> {
  return {
    envelope: d.envelope,
    leafIndex: d.leafIndex,
    inclusionProof: d.inclusionProof.map(toBase64),
    checkpoint: d.checkpoint,
    consistencyProof: d.consistencyProof.map(toBase64),
    rootUpdates: [...d.rootUpdates],
    ...(d.targetProof === undefined ? {} : { targetProof: { index: d.targetProof.index, proof: d.targetProof.proof.map(toBase64) } }),
  }
}
