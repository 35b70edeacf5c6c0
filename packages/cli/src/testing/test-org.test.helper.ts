// Test fixture: an org in memory, built only with @palisade/protocol: admin
// keys, a signed root chain, a log with its key, witnesses that cosign.
// Deterministic: seeds derive from labels. Used by the audit tests and by
// the fake server of the command tests.
import { createHash } from 'node:crypto'
import {
  COMMAND_PAYLOAD_TYPE,
  COMMAND_TYPE,
  ROOT_PAYLOAD_TYPE,
  ROOT_TYPE,
  canonicalJsonBytes,
  checkpoint,
  cosignature,
  dsse,
  keyId,
  merkle,
  nodePublicKey,
  note,
  rootFingerprint,
  toBase64,
  utf8,
} from '@palisade/protocol'

export function seed(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(label).digest())
}

export interface TestKey {
  readonly name: string
  readonly seed: Uint8Array
  readonly pub: Uint8Array
  readonly id: string
}

export function testKey(label: string, name = label.replace(/\//g, '-')): TestKey {
  const s = seed(label)
  const pub = nodePublicKey(s)
  return { name, seed: s, pub, id: keyId(pub) }
}

export const NOW = 1_790_000_000

export interface TestOrgOptions {
  readonly org?: string
  readonly admins?: number
  readonly witnesses?: number
  readonly quorum?: number
  readonly commandThreshold?: number
}

export interface TestEntry {
  readonly index: number
  readonly kind: string
  readonly data: Uint8Array
}

export class TestOrg {
  readonly org: string
  readonly admins: TestKey[]
  readonly witnesses: TestKey[]
  readonly logKey: TestKey
  readonly origin: string
  readonly leaves: Uint8Array[] = []
  readonly kinds: string[] = []
  rootObject: Record<string, unknown>
  readonly rootEnvelopes: string[] = []

  constructor(o: TestOrgOptions = {}) {
    this.org = o.org ?? 'acme'
    this.admins = Array.from({ length: o.admins ?? 3 }, (_, i) => testKey(`${this.org}/admin${i}`, `admin${i}`))
    this.witnesses = Array.from({ length: o.witnesses ?? 2 }, (_, i) => testKey(`${this.org}/witness${i}`, `witness${i}.example`))
    this.origin = `palisade/${this.org}`
    this.logKey = testKey(`${this.org}/log`, this.origin)
    this.rootObject = {
      type: ROOT_TYPE,
      org: this.org,
      version: 1,
      issuedAt: NOW - 3600,
      expiresAt: NOW + 365 * 86400,
      admins: this.admins.map((a) => ({ id: a.id, name: a.name, publicKey: toBase64(a.pub) })),
      thresholds: { command: o.commandThreshold ?? 2, policy: 2, root: 2, device: 1 },
      witnesses: {
        quorum: o.quorum ?? this.witnesses.length,
        keys: this.witnesses.map((w) => cosignature.formatWitnessVerifierKey(w.name, w.pub)),
      },
      log: { origin: this.origin, key: note.formatVerifierKey(this.logKey.name, this.logKey.pub) },
      maxCommandValiditySeconds: 7 * 86400,
      frozen: false,
    }
  }

  /** Signs a root object with `signers`; returns the envelope JSON. */
  async signRoot(root: Record<string, unknown>, signers: readonly TestKey[]): Promise<string> {
    const env = await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, canonicalJsonBytes(root), signers.map((k) => dsse.ed25519Signer(k.id, k.seed)))
    return dsse.formatEnvelope(env)
  }

  /** Root v1 signed by the first two admins, logged as entry 0. */
  async init(): Promise<this> {
    const v1 = await this.signRoot(this.rootObject, this.admins.slice(0, 2))
    this.rootEnvelopes.push(v1)
    this.append('root', v1)
    return this
  }

  get fingerprint(): string {
    return rootFingerprint(dsse.parseEnvelope(this.rootEnvelopes[0]!).payload)
  }

  commandPayload(over: Record<string, unknown> = {}): Record<string, unknown> {
    const n = this.leaves.length
    return {
      type: COMMAND_TYPE,
      org: this.org,
      id: `cmd-${n}`,
      script: 'echo hello',
      interpreter: 'sh',
      timeoutSeconds: 60,
      runAs: 'root',
      targets: { kind: 'all' },
      notBefore: NOW - 60,
      notAfter: NOW + 3600,
      nonce: toBase64(seed(`nonce/${this.org}/${n}`).subarray(0, 16)),
      ...over,
    }
  }

  /** A command envelope signed by `signers` (default: the first two admins). */
  async signCommand(over: Record<string, unknown> = {}, signers: readonly TestKey[] = this.admins.slice(0, 2)): Promise<string> {
    const env = await dsse.signEnvelope(COMMAND_PAYLOAD_TYPE, canonicalJsonBytes(this.commandPayload(over)), signers.map((k) => dsse.ed25519Signer(k.id, k.seed)))
    return dsse.formatEnvelope(env)
  }

  append(kind: string, data: string | Uint8Array): number {
    this.leaves.push(typeof data === 'string' ? utf8(data) : data)
    this.kinds.push(kind)
    return this.leaves.length - 1
  }

  /** A checkpoint of the first `size` leaves, signed by the log key and cosigned by `witnesses`. */
  async checkpoint(size = this.leaves.length, witnesses: readonly TestKey[] = this.witnesses, logKey: TestKey = this.logKey, leaves: readonly Uint8Array[] = this.leaves): Promise<string> {
    const body = checkpoint.format({ origin: this.origin, size, rootHash: merkle.rootHash(leaves.slice(0, size)), extensions: [] })
    let signed = await note.sign(body, [await note.ed25519Signer(logKey.name, logKey.seed)])
    for (const w of witnesses) signed += await cosignature.cosign(body, { name: w.name, seed: w.seed }, NOW)
    return signed
  }

  entries(): TestEntry[] {
    return this.leaves.map((data, index) => ({ index, kind: this.kinds[index]!, data }))
  }
}
