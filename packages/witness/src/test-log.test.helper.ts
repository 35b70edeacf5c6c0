// A transparency log for tests: leaves, RFC 9162 roots and consistency
// proofs from @palisade/protocol, checkpoints signed as C2SP notes with an
// Ed25519 note key whose name is the origin. Not shipped (files: !*.test.*).
import { createHash } from 'node:crypto'
import {
  canonicalJsonBytes, checkpoint, dsse, formatReport, keyId, merkle, nodePublicKey, note, toBase64, utf8, REJECTION_PAYLOAD_TYPE, ROOT_PAYLOAD_TYPE, ROOT_TYPE,
} from '@palisade/protocol'
import { formatAddCheckpointRequest } from './request/add-checkpoint-request.js'

export class TestLog {
  readonly origin: string
  readonly signer: note.Signer
  /** The log's verifier key string (what `add-log` takes). */
  readonly vkey: string
  readonly leaves: Uint8Array[] = []

  private constructor(origin: string, signer: note.Signer, vkey: string) {
    this.origin = origin
    this.signer = signer
    this.vkey = vkey
  }

  /** A log whose key is derived from `label` (deterministic). */
  static async create(origin: string, label = origin): Promise<TestLog> {
    const seed = createHash('sha256').update(`test log key ${label}`).digest()
    const signer = await note.ed25519Signer(origin, seed)
    return new TestLog(origin, signer, note.formatVerifierKey(origin, nodePublicKey(seed)))
  }

  /** Appends leaves until the log has `size` of them (`tag` varies their content, to fork). */
  grow(size: number, tag = ''): this {
    while (this.leaves.length < size) this.leaves.push(utf8(`${tag}entry ${this.leaves.length}`))
    return this
  }

  root(size: number): Uint8Array {
    return merkle.rootHash(this.leaves.slice(0, size))
  }

  /** The consistency proof from `from` to `to` (empty when from is 0 or equal). */
  proof(from: number, to: number): readonly Uint8Array[] {
    if (from === 0 || from === to) return []
    return merkle.consistencyProof(this.leaves.slice(0, to), from, to)
  }

  /** The signed checkpoint note at `size` (or with another root / signer). */
  async checkpoint(size: number, opts: { rootHash?: Uint8Array; signer?: note.Signer; extensions?: readonly string[] } = {}): Promise<string> {
    const text = checkpoint.format({ origin: this.origin, size, rootHash: opts.rootHash ?? this.root(size), extensions: opts.extensions ?? [] })
    return note.sign(text, [opts.signer ?? this.signer])
  }

  /** A well-formed add-checkpoint body from `oldSize` to `size`. */
  async request(
    oldSize: number,
    size: number,
    opts: { proof?: readonly Uint8Array[]; rootHash?: Uint8Array; signer?: note.Signer; extensions?: readonly string[] } = {},
  ): Promise<string> {
    const signed = await this.checkpoint(size, opts)
    return formatAddCheckpointRequest({ oldSize, proof: opts.proof ?? this.proof(oldSize, size), note: signed })
  }
}

/** A log that shares `base`'s origin and key but diverges after `commonSize` leaves (`tag` tells forks apart). */
export async function forkOf(base: TestLog, commonSize: number, size: number, tag = 'fork '): Promise<TestLog> {
  const fork = await TestLog.create(base.origin)
  fork.leaves.push(...base.leaves.slice(0, commonSize))
  return fork.grow(size, tag)
}

/** POSTs an add-checkpoint body. */
export async function addCheckpoint(url: string, body: string | Uint8Array): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body })
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

/** An Ed25519 key for tests, derived from `label`. */
export interface TestKey {
  readonly seed: Uint8Array
  readonly pub: Uint8Array
  readonly id: string
  readonly name: string
}

export function testKey(label: string, name = label): TestKey {
  const seed = new Uint8Array(createHash('sha256').update(`test key ${label}`).digest())
  const pub = nodePublicKey(seed)
  return { seed, pub, id: keyId(pub), name }
}

/** A root envelope (JSON text) for `log`, listing `keys` (2-of-n), signed by `signers`. */
export async function signTestRoot(log: TestLog, version: number, keys: readonly TestKey[], signers: readonly TestKey[]): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const root = {
    type: ROOT_TYPE,
    org: 'acme',
    version,
    issuedAt: now - 3600,
    expiresAt: now + 86400,
    admins: keys.map((a) => ({ id: a.id, name: a.name, publicKey: toBase64(a.pub) })),
    thresholds: { command: 2, policy: 2, root: 2, device: 1 },
    witnesses: { quorum: 0, keys: [] },
    log: { origin: log.origin, key: log.vkey },
    maxCommandValiditySeconds: 86400,
    frozen: false,
  }
  const env = await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, canonicalJsonBytes(root), signers.map((k) => dsse.ed25519Signer(k.id, k.seed)))
  return dsse.formatEnvelope(env)
}

/** A device-signed rejection envelope (JSON text), as an agent reports it. */
export async function rejectionEnvelope(device: TestKey, deviceId: string, code = 'PROTO_SIG_THRESHOLD', message = 'one signature short'): Promise<string> {
  const payload = formatReport({ type: 'palisade.rejection/v1', org: 'acme', deviceId, commandId: 'c1', code: code as never, message, at: Date.now() })
  const env = await dsse.signEnvelope(REJECTION_PAYLOAD_TYPE, payload, [dsse.ed25519Signer(device.id, device.seed)])
  return dsse.formatEnvelope(env)
}

/** POSTs a report body (an object is sent as JSON). */
export async function postReport(url: string, body: unknown): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/palisade/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  })
  return { status: res.status, body: await res.text() }
}
