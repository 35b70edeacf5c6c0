/**
 * A whole organisation in memory for the agent's tests: admin keys, a
 * signed root v1, a log with a log key, witnesses that cosign, and a
 * builder for deliveries. Adapted from packages/protocol/test/fixtures/org.ts
 * (copied, not imported: that folder is protocol's own), with the real
 * clock, because the agent checks validity windows against Date.now().
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  canonicalJsonBytes, checkpoint, cosignature, dsse, formatCommandPayload, keyId, merkle, nodePublicKey, note,
  parseCommandPayload, rootFingerprint, toBase64, utf8, COMMAND_PAYLOAD_TYPE, COMMAND_TYPE, ROOT_PAYLOAD_TYPE, ROOT_TYPE,
  formatCheckpointUpdate, formatDelivery, formatRootLine, type Delivery,
} from '@palisade/protocol'

export function seed(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(label).digest())
}

export interface Key {
  readonly name: string
  readonly seed: Uint8Array
  readonly pub: Uint8Array
  readonly id: string
}

export function key(label: string, name = label.replace(/\//g, '-')): Key {
  const s = seed(label)
  const pub = nodePublicKey(s)
  return { name, seed: s, pub, id: keyId(pub) }
}

let commandCounter = 0

export class TestOrg {
  readonly org: string
  readonly admins: Key[]
  readonly witnesses: Key[]
  readonly logKey: Key
  readonly origin: string
  readonly leaves: Uint8Array[] = []
  readonly rootObject: Record<string, unknown>
  rootEnvelopes: string[] = []

  /** `rootFields` are merged into root v1 (e.g. monitors, checkpointMaxAgeSeconds). */
  constructor(org = 'acme', rootFields: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000)
    this.org = org
    this.admins = [0, 1, 2].map((i) => key(`${org}/admin${i}`, `admin${i}`))
    this.witnesses = [0, 1].map((i) => key(`${org}/witness${i}`, `witness${i}.example`))
    this.origin = `palisade.test/${org}`
    this.logKey = key(`${org}/log`, this.origin)
    this.rootObject = {
      type: ROOT_TYPE,
      org,
      version: 1,
      issuedAt: now - 3600,
      expiresAt: now + 365 * 86400,
      admins: this.admins.map((a) => ({ id: a.id, name: a.name, publicKey: toBase64(a.pub) })),
      thresholds: { command: 2, policy: 2, root: 2, device: 1 },
      witnesses: { quorum: 2, keys: this.witnesses.map((w) => cosignature.formatWitnessVerifierKey(w.name, w.pub)) },
      log: { origin: this.origin, key: note.formatVerifierKey(this.logKey.name, this.logKey.pub) },
      maxCommandValiditySeconds: 7 * 86400,
      frozen: false,
      ...rootFields,
    }
  }

  /** Root v1 signed by two admins, logged as entry 0 (as the server does at setup). */
  async init(): Promise<this> {
    const env = await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, canonicalJsonBytes(this.rootObject), this.admins.slice(0, 2).map((k) => dsse.ed25519Signer(k.id, k.seed)))
    this.rootEnvelopes = [dsse.formatEnvelope(env)]
    this.append(this.rootEnvelopes[0]!)
    return this
  }

  get fingerprint(): string {
    return rootFingerprint(dsse.parseEnvelope(this.rootEnvelopes[0]!).payload)
  }

  /** A command payload with sensible defaults; `over` replaces fields. */
  commandPayload(over: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000)
    return {
      type: COMMAND_TYPE,
      org: this.org,
      id: `cmd-${++commandCounter}-${randomBytes(4).toString('hex')}`,
      script: 'echo hello',
      interpreter: 'sh',
      timeoutSeconds: 60,
      runAs: 'root',
      targets: { kind: 'all' },
      notBefore: now - 60,
      notAfter: now + 3600,
      nonce: toBase64(randomBytes(16)),
      ...over,
    }
  }

  /** Signs a command with `signers` (default: admins 0 and 1, the threshold) and returns the envelope JSON. */
  async signCommand(over: Record<string, unknown> = {}, signers: Key[] = this.admins.slice(0, 2)): Promise<{ id: string; envelope: string }> {
    const payload = formatCommandPayload(parseCommandPayload(canonicalJsonBytes(this.commandPayload(over))))
    const env = await dsse.signEnvelope(COMMAND_PAYLOAD_TYPE, payload, signers.map((k) => dsse.ed25519Signer(k.id, k.seed)))
    return { id: parseCommandPayload(payload).id, envelope: dsse.formatEnvelope(env) }
  }

  /** Appends an entry; returns its index. */
  append(entry: string | Uint8Array): number {
    this.leaves.push(typeof entry === 'string' ? utf8(entry) : entry)
    return this.leaves.length - 1
  }

  /** A checkpoint of the whole log, signed by the log key and cosigned by every witness at `cosignTime` (unix seconds; default now). */
  async checkpointNote(cosignTime = Math.floor(Date.now() / 1000)): Promise<string> {
    const size = this.leaves.length
    // the root line names the newest root, as the server's checkpoints do
    const newest = dsse.parseEnvelope(this.rootEnvelopes[this.rootEnvelopes.length - 1]!).payload
    const rootLine = formatRootLine({ version: JSON.parse(new TextDecoder().decode(newest)).version as number, fingerprint: rootFingerprint(newest) })
    const body = checkpoint.format({ origin: this.origin, size, rootHash: merkle.rootHash(this.leaves), extensions: [rootLine] })
    let signed = await note.sign(body, [await note.ed25519Signer(this.logKey.name, this.logKey.seed)])
    for (const w of this.witnesses) signed += await cosignature.cosign(body, { name: w.name, seed: w.seed }, cosignTime)
    return signed
  }

  /** The JSON form of a delivery of entry `index`, for a device that last saw a checkpoint of `fromSize`. */
  async delivery(index: number, fromSize: number): Promise<Record<string, unknown>> {
    const size = this.leaves.length
    const d: Delivery = {
      envelope: new TextDecoder().decode(this.leaves[index]!),
      leafIndex: index,
      inclusionProof: merkle.inclusionProof(this.leaves, index),
      checkpoint: await this.checkpointNote(),
      consistencyProof: fromSize > 0 && fromSize < size ? merkle.consistencyProof(this.leaves, fromSize, size) : [],
      rootUpdates: [],
    }
    return formatDelivery(d)
  }

  /** The JSON form of a checkpoint frame (without its type) for a device that last saw `fromSize`. */
  async checkpointUpdate(fromSize: number, cosignTime?: number): Promise<Record<string, unknown>> {
    const size = this.leaves.length
    return formatCheckpointUpdate({
      note: await this.checkpointNote(cosignTime),
      consistencyProof: fromSize > 0 && fromSize < size ? merkle.consistencyProof(this.leaves, fromSize, size) : [],
      rootUpdates: [],
    })
  }
}
