/**
 * The verification half of the fan-out floor: what each device does with
 * a delivery (parseDelivery + verifyCommand from a fresh trust state, then
 * signing its result), done `n` times in a tight loop in this process. The
 * delivery is built by the attack suite's org (attacks/attack-org.ts: real
 * protocol functions, 2-of-3 admins, a witness quorum of 2; the benchmark
 * org has one witness, so this floor verifies one cosignature more than
 * the real run does).
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import {
  dsse, formatDelivery, formatReport, initialTrustState, keyId, parseDelivery, verifyCommand, RESULT_PAYLOAD_TYPE, type CommandResult,
} from '@palisade/protocol'
import { AttackOrg, nowSeconds } from '../attacks/attack-org.js'

/** A realistic delivery frame (text) and its verification cost. */
export interface VerifyFloor {
  /** The delivery frame as the gateway sends it, for the raw floor's message size. */
  readonly frame: string
  /** Milliseconds for `n` parse + verify + result signing. */
  readonly ms: number
  /** Of which parse + verify alone. */
  readonly verifyMs: number
}

/**
 * @example
 * const { frame, ms } = await verifyFloor(10_000)
 */
export async function verifyFloor(n: number): Promise<VerifyFloor> {
  const org = await new AttackOrg('bench').init()
  for (let i = 0; i < 40; i++) org.ledger.append(await org.signCommand(org.command(`filler-${i}`), org.admins.slice(1, 3)))
  const envelope = await org.signCommand(org.command('bench-1'), org.admins.slice(1, 3))
  const index = org.ledger.append(envelope)
  const delivery = {
    envelope,
    leafIndex: index,
    inclusionProof: org.ledger.inclusion(index),
    checkpoint: await org.ledger.note({ logKey: org.logKey, witnesses: org.witnesses, time: nowSeconds() }),
    consistencyProof: [],
    rootUpdates: [],
  }
  const frame = JSON.stringify({ type: 'delivery', commandId: 'bench-1', delivery: formatDelivery(delivery) })
  const trust = initialTrustState(org.fingerprint, org.roots, nowSeconds())
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const kid = keyId(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12)))
  const round = (withSigning: boolean): number => {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      const body = (JSON.parse(frame) as { delivery: unknown }).delivery
      const v = verifyCommand(trust, parseDelivery(body), { id: `dev-${i}` }, nowSeconds())
      if (!v.ok) throw new Error(`the floor's delivery does not verify: ${v.code} ${v.message}`)
      if (!withSigning) continue
      const r: CommandResult = {
        type: 'palisade.result/v1', org: 'bench', commandId: 'bench-1', deviceId: `dev-${i}`, status: 'completed', exitCode: 0, signal: null,
        stdout: '[palisade sim: not executed]\n', stderr: '', stdoutTruncated: false, stderrTruncated: false, startedAt: 1, finishedAt: 1,
      }
      const payload = formatReport(r)
      const sig = new Uint8Array(sign(null, dsse.pae(RESULT_PAYLOAD_TYPE, payload), privateKey))
      dsse.formatEnvelope({ payloadType: RESULT_PAYLOAD_TYPE, payload, signatures: [{ keyid: kid, sig }] })
    }
    return performance.now() - t0
  }
  round(false) // warm-up: JIT and protocol's per-root key caches, as a running fleet has them
  const verify: number[] = []
  const full: number[] = []
  for (let r = 0; r < 3; r++) {
    verify.push(round(false))
    full.push(round(true))
  }
  const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]!
  return { frame, verifyMs: mid(verify), ms: mid(full) }
}
