// Test double: an in-memory palisade server speaking the routes of
// docs/WIRE.md that the CLI uses, on a loopback port. It verifies what a
// real server verifies (root self-signature, signatures under the current
// root), keeps a real RFC 6962 log with checkpoints signed by its log key
// and cosigned in-process by the witness keys it was given, and can be told
// to misbehave the ways a compromised server would.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  COMMAND_PAYLOAD_TYPE,
  canonicalJsonBytes,
  checkpoint,
  cosignature,
  dsse,
  fromBase64,
  merkle,
  note,
  parseCommandPayload,
  rootFingerprint,
  toBase64,
  utf8,
  verifyAnchorRoot,
  type Root,
  type SignedRoot,
} from '@palisade/protocol'
import { NOW, testKey, type TestKey } from './test-org.test.helper.js'

export interface FakeCommand {
  payload: Uint8Array
  signatures: { keyid: string; sig: Uint8Array; name: string }[]
  status: string
  threshold: number
  logIndex: number | null
  targetIds: string[] | undefined
  deliveries: { deviceId: string; status: string }[]
  results: Record<string, unknown>[]
}

/** Ways to misbehave. */
export interface Tamper {
  /** Serve other payload bytes for a command than the ones signed. */
  payload?: (bytes: Uint8Array) => Uint8Array
  /** Put this fingerprint in enrollment tokens. */
  tokenFingerprint?: string
  /** Serve these bytes for a log entry. */
  entries?: Map<number, Uint8Array>
}

export class FakeServer {
  url = ''
  readonly setupCode = 'setup-code-0123456789'
  readonly witnesses: readonly TestKey[]
  readonly devices = ['dev-1', 'dev-2']
  logKey: TestKey | undefined
  org: string | undefined
  apiKey: string | undefined
  readonly roots: string[] = []
  readonly leaves: Uint8Array[] = []
  readonly kinds: string[] = []
  readonly checkpoints: { size: number; note: string }[] = []
  readonly commands = new Map<string, FakeCommand>()
  readonly tamper: Tamper = {}
  #server: Server | undefined
  #current: SignedRoot | undefined

  constructor(witnesses: readonly TestKey[]) {
    this.witnesses = witnesses
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        this.#handle(req, body).then(
          ({ status, value }) => send(res, status, value),
          (e: unknown) => send(res, 500, problem(500, 'SRV_INTERNAL', String(e))),
        )
      })
    })
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  close(): Promise<void> {
    return new Promise((r) => this.#server?.close(() => r()) ?? r())
  }

  get root(): Root {
    return this.#current!.root
  }

  /** Records a device's result; the command is done when every delivery has one. */
  complete(id: string, deviceId: string, result: { status?: string; exitCode?: number; stdout?: string; stderr?: string; stderrTruncated?: boolean }): void {
    const c = this.commands.get(id)!
    c.results.push({ deviceId, status: 'completed', exitCode: 0, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, startedAt: 1000, finishedAt: 2500, ...result })
    const d = c.deliveries.find((x) => x.deviceId === deviceId)
    if (d !== undefined) d.status = 'answered'
    if (c.deliveries.every((x) => c.results.some((r) => r['deviceId'] === x.deviceId))) c.status = 'done'
  }

  async #handle(req: IncomingMessage, text: string): Promise<{ status: number; value: unknown }> {
    const url = new URL(req.url ?? '/', 'http://x')
    const path = url.pathname
    const body = (text === '' ? {} : JSON.parse(text)) as Record<string, any>
    const post = req.method === 'POST'
    if (post && path === '/v1/setup/log-key') {
      if (body['setupCode'] !== this.setupCode) return { status: 403, value: problem(403, 'SRV_FORBIDDEN', 'wrong setup code') }
      const org = body['org'] as string
      this.logKey ??= testKey(`log/${org}`, `palisade/${org}`)
      return { status: 200, value: { org, origin: this.logKey.name, logKey: note.formatVerifierKey(this.logKey.name, this.logKey.pub) } }
    }
    if (post && path === '/v1/setup') {
      if (body['setupCode'] !== this.setupCode || this.org !== undefined) return { status: 403, value: problem(403, 'SRV_FORBIDDEN', 'wrong or used setup code') }
      const env = dsse.parseEnvelope(body['root'] as string)
      const fp = rootFingerprint(env.payload)
      try {
        this.#current = verifyAnchorRoot(env, fp)
      } catch (e) {
        return { status: 400, value: problem(400, (e as { code: string }).code, (e as Error).message) }
      }
      const keys = (body['witnesses'] as { key: string }[]).map((w) => w.key)
      if (JSON.stringify(keys) !== JSON.stringify(this.#current.root.witnesses.keys)) return { status: 400, value: problem(400, 'SRV_VALIDATION', 'witnesses differ from the root') }
      this.org = this.#current.root.org
      this.apiKey = `pal_test1234_${'k'.repeat(32)}`
      this.roots.push(body['root'] as string)
      await this.#append('root', utf8(body['root'] as string))
      return { status: 200, value: { org: this.org, fingerprint: fp, apiKey: this.apiKey } }
    }
    const m = /^\/v1\/orgs\/([^/]+)(\/.*)$/.exec(path)
    if (m === null) return { status: 404, value: problem(404, 'SRV_NOT_FOUND', `no route for ${req.method} ${path}`) }
    if (req.headers.authorization !== `Bearer ${this.apiKey}` || this.apiKey === undefined) return { status: 401, value: problem(401, 'SRV_UNAUTHENTICATED', 'authentication required') }
    if (m[1] !== this.org) return { status: 404, value: problem(404, 'SRV_NOT_FOUND', 'no such org') }
    const rest = m[2]!
    if (!post && rest === '/roots') return { status: 200, value: { roots: this.roots } }
    if (post && rest === '/enrollment-tokens') {
      const token = 'tok_' + 'a'.repeat(24)
      const fingerprint = this.tamper.tokenFingerprint ?? rootFingerprint(dsse.parseEnvelope(this.roots[0]!).payload)
      return { status: 200, value: { token, expiresAt: Date.now() + body['ttlSeconds'] * 1000, fingerprint, installCommand: `palisade agent enroll --server ${this.url} --token ${token} --fingerprint ${fingerprint}` } }
    }
    if (post && rest === '/commands') {
      const bytes = canonicalJsonBytes(body['payload'])
      const p = parseCommandPayload(bytes)
      this.commands.set(p.id, { payload: bytes, signatures: [], status: 'awaiting-signatures', threshold: this.root.thresholds.command, logIndex: null, targetIds: body['targetIds'], deliveries: [], results: [] })
      return { status: 200, value: { id: p.id, payload: toBase64(bytes), status: 'awaiting-signatures', threshold: this.root.thresholds.command } }
    }
    if (!post && rest === '/commands') {
      return { status: 200, value: { commands: [...this.commands].map(([id, c]) => ({ id, status: c.status, createdAt: 1_700_000_000_000, signatures: c.signatures.length, threshold: c.threshold, targets: { kind: 'all' }, done: c.results.length })) } }
    }
    const cm = /^\/commands\/([^/]+)(\/signatures)?$/.exec(rest)
    if (cm !== null) {
      const c = this.commands.get(cm[1]!)
      if (c === undefined) return { status: 404, value: problem(404, 'SRV_NOT_FOUND', 'no such command') }
      if (!post) {
        const payload = this.tamper.payload?.(c.payload) ?? c.payload
        return { status: 200, value: { id: cm[1], status: c.status, payload: toBase64(payload), signatures: c.signatures.map((s) => ({ keyid: s.keyid, name: s.name })), threshold: c.threshold, logIndex: c.logIndex, deliveries: c.deliveries, results: c.results } }
      }
      const admin = this.root.admins.find((a) => a.id === body['keyid'])
      const sig = fromBase64(body['sig'] as string)
      try {
        dsse.verifyEnvelope({ payloadType: COMMAND_PAYLOAD_TYPE, payload: c.payload, signatures: [{ keyid: '', sig }] }, { payloadType: COMMAND_PAYLOAD_TYPE, keys: admin === undefined ? [] : [{ keyid: admin.id, publicKey: admin.publicKey }], threshold: 1 })
      } catch (e) {
        return { status: 400, value: problem(400, 'PROTO_SIG_INVALID', 'the signature does not verify under an admin key of the current root') }
      }
      if (c.signatures.some((s) => s.keyid === admin!.id)) return { status: 409, value: problem(409, 'SRV_CONFLICT', 'already signed by this key') }
      c.signatures.push({ keyid: admin!.id, sig, name: admin!.name })
      if (c.signatures.length >= c.threshold && c.logIndex === null) {
        const env = dsse.formatEnvelope({ payloadType: COMMAND_PAYLOAD_TYPE, payload: c.payload, signatures: c.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })) })
        c.logIndex = await this.#append('command', utf8(env))
        c.status = 'logged'
        const t = parseCommandPayload(c.payload).targets
        const ids = t.kind === 'devices' ? t.ids : t.kind === 'merkle' ? (c.targetIds ?? []) : this.devices
        c.deliveries = ids.map((deviceId) => ({ deviceId, status: 'pending' }))
      }
      return { status: 200, value: { signatures: c.signatures.length, threshold: c.threshold, status: c.status } }
    }
    if (!post && rest === '/log/checkpoint') return { status: 200, value: { note: this.checkpoints.at(-1)!.note } }
    if (!post && rest === '/log/checkpoints') return { status: 200, value: { checkpoints: this.checkpoints } }
    if (!post && rest === '/log/entries') {
      const start = Number(url.searchParams.get('start'))
      const end = Math.min(Number(url.searchParams.get('end')), this.leaves.length, start + 1000)
      const entries = []
      for (let i = start; i < end; i++) entries.push({ index: i, kind: this.kinds[i], data: toBase64(this.tamper.entries?.get(i) ?? this.leaves[i]!) })
      return { status: 200, value: { entries } }
    }
    if (!post && rest === '/devices') {
      return { status: 200, value: { devices: this.devices.map((id) => ({ id, hostname: `${id}.example`, enrolledAt: 1_700_000_000_000, lastSeenAt: null, online: id === 'dev-1', os: { prettyName: 'Debian GNU/Linux 12 (bookworm)' } })) } }
    }
    if (!post && rest.startsWith('/devices/')) {
      const id = decodeURIComponent(rest.slice('/devices/'.length))
      if (!this.devices.includes(id)) return { status: 404, value: problem(404, 'SRV_NOT_FOUND', 'no such device') }
      return { status: 200, value: { id, hostname: `${id}.example`, publicKey: toBase64(new Uint8Array(32)), enrolledAt: 1_700_000_000_000, lastSeenAt: 1_700_000_100_000, online: true, inventory: INVENTORY, inventoryAt: 1_700_000_100_000 } }
    }
    if (!post && rest === '/alerts') {
      return { status: 200, value: { alerts: [{ id: 1, deviceId: 'dev-2', code: 'PROTO_SIG_THRESHOLD', message: 'too few signatures', commandId: 'cmd-evil', createdAt: 1_700_000_000_000 }] } }
    }
    return { status: 404, value: problem(404, 'SRV_NOT_FOUND', `no route for ${req.method} ${path}`) }
  }

  async #append(kind: string, data: Uint8Array): Promise<number> {
    this.leaves.push(data)
    this.kinds.push(kind)
    const body = checkpoint.format({ origin: this.logKey!.name, size: this.leaves.length, rootHash: merkle.rootHash(this.leaves), extensions: [] })
    let signed = await note.sign(body, [await note.ed25519Signer(this.logKey!.name, this.logKey!.seed)])
    for (const w of this.witnesses) signed += await cosignature.cosign(body, { name: w.name, seed: w.seed }, NOW)
    this.checkpoints.push({ size: this.leaves.length, note: signed })
    return this.leaves.length - 1
  }
}

function problem(status: number, code: string, detail: string): Record<string, unknown> {
  return { type: `urn:palisade:problem:${code}`, title: code, status, detail, code }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' })
  res.end(JSON.stringify(value))
}

const INVENTORY = {
  os: { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', versionId: '12', versionCodename: 'bookworm', fields: {} },
  kernel: { release: '6.1.0-18-amd64', version: '#1 SMP', arch: 'x64', machine: 'x86_64' },
  hostname: 'dev-1',
  cpus: { model: 'Intel Xeon', models: ['Intel Xeon'], count: 4 },
  memory: { totalBytes: 8 * 1024 ** 3, freeBytes: 2 * 1024 ** 3 },
  disks: [{ mountPoint: '/', device: '/dev/sda1', fsType: 'ext4', readOnly: false, sizeBytes: 100 * 1024 ** 3, freeBytes: 50 * 1024 ** 3, availableBytes: 45 * 1024 ** 3 }],
  network: [
    { interface: 'lo', family: 'IPv4', address: '127.0.0.1', netmask: '255.0.0.0', cidr: '127.0.0.1/8', mac: '00:00:00:00:00:00', internal: true, scopeId: null },
    { interface: 'eth0', family: 'IPv4', address: '10.0.0.5', netmask: '255.255.255.0', cidr: '10.0.0.5/24', mac: '52:54:00:12:34:56', internal: false, scopeId: null },
  ],
  packages: { manager: 'dpkg', packages: [{ name: 'bash', version: '5.2', arch: 'amd64' }, { name: 'openssl', version: '3.0', arch: 'amd64' }] },
  users: [{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }, { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/bash' }],
  listeningPorts: [{ protocol: 'tcp', address: '0.0.0.0', port: 22, uid: 0 }],
  notes: [],
  collectedAt: '2023-11-14T22:13:20.000Z',
}
