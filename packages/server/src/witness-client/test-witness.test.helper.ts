/**
 * A tiny, honest C2SP tlog-witness for tests (not a test file itself):
 * a real HTTP server on 127.0.0.1 implementing `add-checkpoint` with the
 * protocol functions — log signature, 409 with its size, consistency
 * proof, cosignature/v1 — plus misbehaviours a test can switch on.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { checkpoint, cosignature, equalBytes, fromBase64, merkle, nodePublicKey, note, toBase64 } from '@palisade/protocol'
import { parseAddCheckpointBody } from './add-checkpoint-body.js'

/** How the witness behaves. */
export type WitnessMode =
  | 'honest'
  /** Drops every connection. */
  | 'down'
  /** Answers 200 with a cosignature whose signature bytes are corrupted. */
  | 'bad-cosignature'
  /** Answers 200 with a valid cosignature by another key under its name. */
  | 'wrong-key'
  /** Never answers. */
  | 'hang'
  /** Answers 200 with a megabyte of junk. */
  | 'huge'

interface LogState {
  readonly verifier: note.Verifier
  size: number
  rootHash: Uint8Array
}

function seedOf(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(label).digest())
}

/** A running test witness. */
export class TestWitness {
  readonly name: string
  /** Its cosignature/v1 verifier key. */
  readonly key: string
  url = ''
  mode: WitnessMode = 'honest'
  /** add-checkpoint requests received. */
  requests = 0
  /** Old sizes received, in order. */
  readonly oldSizes: number[] = []
  readonly #seed: Uint8Array
  readonly #logs = new Map<string, LogState>()
  readonly #server: Server
  readonly #sockets = new Set<Socket>()

  private constructor(name: string) {
    this.name = name
    this.#seed = seedOf(`witness/${name}`)
    this.key = cosignature.formatWitnessVerifierKey(name, nodePublicKey(this.#seed))
    this.#server = createServer((req, res) => void this.#handle(req, res))
    this.#server.on('connection', (s) => {
      this.#sockets.add(s)
      s.on('close', () => this.#sockets.delete(s))
    })
  }

  /** Starts a witness named `name` on a free port. */
  static async start(name: string): Promise<TestWitness> {
    const w = new TestWitness(name)
    await new Promise<void>((resolve) => w.#server.listen(0, '127.0.0.1', resolve))
    const addr = w.#server.address() as { port: number }
    w.url = `http://127.0.0.1:${addr.port}`
    return w
  }

  /** Trusts a log (by its verifier key, whose name is the origin), at size 0. */
  addLog(logKey: string): void {
    const verifier = note.verifierFromString(logKey)
    this.#logs.set(verifier.name, { verifier, size: 0, rootHash: merkle.emptyRoot() })
  }

  /** The size it holds for `origin`. */
  sizeOf(origin: string): number | undefined {
    return this.#logs.get(origin)?.size
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.mode === 'down') {
      req.socket.destroy()
      return
    }
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (req.method !== 'POST' || req.url !== '/add-checkpoint') return this.#send(res, 404, 'not found\n')
    this.requests++
    if (this.mode === 'hang') return
    if (this.mode === 'huge') return this.#send(res, 200, 'A'.repeat(1024 * 1024))
    const parsed = parseAddCheckpointBody(Buffer.concat(chunks).toString('utf8'))
    if (parsed === undefined) return this.#send(res, 400, 'malformed\n')
    this.oldSizes.push(parsed.oldSize)
    let body: string
    let cp: checkpoint.Checkpoint
    try {
      body = note.parse(parsed.note).text
      cp = checkpoint.parse(body)
    } catch {
      return this.#send(res, 400, 'malformed checkpoint\n')
    }
    const log = this.#logs.get(cp.origin)
    if (log === undefined) return this.#send(res, 404, 'unknown log\n')
    try {
      note.open(parsed.note, [log.verifier])
    } catch {
      return this.#send(res, 403, 'bad log signature\n')
    }
    if (parsed.oldSize !== log.size) return this.#send(res, 409, `${log.size}\n`, 'text/x.tlog.size')
    if (cp.size < parsed.oldSize) return this.#send(res, 400, 'size went backwards\n')
    const consistent =
      parsed.oldSize === 0
        ? parsed.proof.length === 0
        : parsed.oldSize === cp.size
          ? parsed.proof.length === 0 && equalBytes(log.rootHash, cp.rootHash)
          : merkle.verifyConsistency(parsed.oldSize, cp.size, parsed.proof, log.rootHash, cp.rootHash)
    if (!consistent) return this.#send(res, 422, 'inconsistent\n')
    log.size = cp.size
    log.rootHash = cp.rootHash
    const time = Math.floor(Date.now() / 1000)
    const seed = this.mode === 'wrong-key' ? seedOf(`impostor/${this.name}`) : this.#seed
    let line = await cosignature.cosign(body, { name: this.name, seed }, time)
    if (this.mode === 'bad-cosignature') line = corrupt(line)
    return this.#send(res, 200, line)
  }

  #send(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
}

/** Flips the last signature byte of a `— name base64\n` line. */
function corrupt(line: string): string {
  const sp = line.lastIndexOf(' ')
  const raw = fromBase64(line.slice(sp + 1, -1))
  raw[raw.length - 1]! ^= 1
  return `${line.slice(0, sp + 1)}${toBase64(raw)}\n`
}

/** Starts `n` honest witnesses named w0.example, w1.example, … (with a prefix). */
export async function startWitnesses(n: number, prefix = 'w'): Promise<TestWitness[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => TestWitness.start(`${prefix}${i}.example`)))
}
