/**
 * A real, honest Palisade server process (`palisade server`, SQLite) with a
 * real witness process, set up over the documented HTTP API for org acme,
 * for the attacks that hostile devices and clients (A4, A5) make against
 * the server itself. Devices are enrolled by the real `palisade agent
 * enroll`, whose state directories (device.json, device.key) then give the
 * test each device's identity.
 *
 * The server runs with short request and hello timeouts
 * (PALISADE_REQUEST_TIMEOUT_MS, PALISADE_HELLO_TIMEOUT_MS) so that the
 * slow-drip bounds can be observed in a second rather than a minute; every
 * other setting is the default.
 *
 * The database is opened by the test too, read-only except where a
 * scenario says it moves time (an expired token).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { COMMAND_PAYLOAD_TYPE, dsse, fromBase64, keyId, nodePublicKey, nodeSign, toBase64 } from '@palisade/protocol'
import { freePort } from '../free-port.js'
import { ok, Proc } from '../proc.js'
import { AttackOrg, type Json } from './attack-org.js'
import type { DeviceIdentity } from './device-client.js'

/** The bounds the server is started with: short, so the slow-drip scenarios take about a second each. */
export const TIMEOUTS = Object.freeze({ requestMs: 2000, helloMs: 1000 })

/** An HTTP answer: status and parsed JSON body (null when the body is not JSON). */
export interface Answer {
  readonly status: number
  readonly body: Record<string, any> | null
}

/** An enrolled device: its identity and where its agent state lives. */
export interface Enrolled extends DeviceIdentity {
  readonly dir: string
  readonly publicKey: string
}

export class LiveServer {
  readonly org = new AttackOrg('acme')
  readonly dir: string
  url = ''
  apiKey = ''
  fingerprint = ''
  #server: Proc | undefined
  #witness: Proc | undefined
  #db: Database.Database | undefined

  constructor(dir: string) {
    this.dir = dir
  }

  /** Starts the witness and the server and creates org acme (root v1: 2-of-3 admins, 1 witness). */
  async start(): Promise<this> {
    const wdata = join(this.dir, 'witness')
    this.#witness = new Proc(['witness', 'serve', '--listen', '127.0.0.1:0', '--data', wdata, '--name', 'witness.hostile'], {}, 'witness')
    const port = await freePort()
    this.#server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', join(this.dir, 'data')], {
      PALISADE_REQUEST_TIMEOUT_MS: String(TIMEOUTS.requestMs),
      PALISADE_HELLO_TIMEOUT_MS: String(TIMEOUTS.helloMs),
      PALISADE_LOG_LEVEL: 'warn',
    }, 'server')
    const [wkey, wurl, code] = await Promise.all([
      this.#witness.waitFor(/verifier key:\s+(\S+)/).then((m) => m[1]!),
      this.#witness.waitFor(/url:\s+(http:\/\/\S+)/).then((m) => m[1]!),
      this.#server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/).then((m) => m[1]!),
    ])
    await this.#server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    this.url = `http://127.0.0.1:${port}`

    const lk = await this.expect(201, 'POST', '/v1/setup/log-key', { setupCode: code, org: 'acme' }, 200)
    const admins = this.org.admins.slice(0, 3)
    const root = this.org.rootObject(1, admins, { witnesses: { quorum: 1, keys: [wkey] }, log: { origin: lk['origin'], key: lk['logKey'] } })
    const v1 = await this.org.signRoot(root, admins.slice(0, 2))
    this.org.roots.push(v1)
    await ok(['witness', 'add-log', '--data', wdata, '--key', String(lk['logKey']), '--root-fingerprint', this.org.fingerprint])
    const setup = await this.expect(201, 'POST', '/v1/setup', { setupCode: code, root: v1, witnesses: [{ key: wkey, url: wurl }] })
    this.apiKey = String(setup['apiKey'])
    this.fingerprint = String(setup['fingerprint'])
    this.#db = new Database(join(this.dir, 'data', 'palisade.db'))
    this.#db.pragma('busy_timeout = 5000')
    return this
  }

  async stop(): Promise<void> {
    this.#db?.close()
    await Promise.all([this.#server?.stop(), this.#witness?.stop()])
  }

  /** The server's output so far (for failure messages). */
  get output(): string {
    return this.#server?.output.slice(-3000) ?? ''
  }

  /** The server's database, as the test reads it (and, for one scenario, moves time in it). */
  get db(): Database.Database {
    if (this.#db === undefined) throw new Error('the server is not set up')
    return this.#db
  }

  /** One count from the database. */
  count(sql: string, ...params: unknown[]): number {
    return (this.db.prepare(sql).get(...params) as { n: number }).n
  }

  /** Calls the API (with the org's API key unless `auth` is false). */
  async api(method: string, path: string, body?: unknown, auth = true): Promise<Answer> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(auth ? { authorization: `Bearer ${this.apiKey}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    let parsed: Record<string, any> | null = null
    try {
      parsed = JSON.parse(text) as Record<string, any>
    } catch {
      parsed = null
    }
    return { status: res.status, body: parsed }
  }

  /** Calls the API and fails unless the status is one of `statuses`; returns the body. */
  async expect(status: number, method: string, path: string, body?: unknown, ...more: number[]): Promise<Record<string, any>> {
    const a = await this.api(method, path, body, !path.startsWith('/v1/setup'))
    if (![status, ...more].includes(a.status) || a.body === null) {
      throw new Error(`${method} ${path} answered ${a.status}: ${JSON.stringify(a.body)}\n--- server output ---\n${this.output}`)
    }
    return a.body
  }

  /** A fresh enrollment token of acme. */
  async token(uses = 1, ttlSeconds = 3600): Promise<string> {
    return String((await this.expect(201, 'POST', '/v1/orgs/acme/enrollment-tokens', { uses, ttlSeconds }))['token'])
  }

  /** Enrolls a device with the real agent CLI into `<dir>/<name>` and reads its identity from the state it wrote. */
  async enroll(name: string, token: string): Promise<Enrolled> {
    const dir = join(this.dir, name)
    await ok(['--json', 'agent', 'enroll', '--server', this.url, '--token', token, '--fingerprint', this.fingerprint, '--state-dir', dir])
    const rec = JSON.parse(readFileSync(join(dir, 'device.json'), 'utf8')) as { deviceId: string; publicKey: string }
    const seed = new Uint8Array(readFileSync(join(dir, 'device.key')))
    if (toBase64(nodePublicKey(seed)) !== rec.publicKey) throw new Error(`${name}: device.key does not match device.json`)
    return Object.freeze({ id: rec.deviceId, seed, dir, publicKey: rec.publicKey })
  }

  /**
   * Creates command `id` targeting `deviceIds` and has the honest quorum
   * (admin0 + admin1) sign it: the server logs it, gets it cosigned and
   * delivers it to the targets that are online.
   */
  async command(id: string, deviceIds: readonly string[], over: Json = {}): Promise<void> {
    const payload = this.org.command(id, { targets: { kind: 'devices', ids: [...deviceIds].sort() }, script: 'true', ...over })
    const created = await this.expect(201, 'POST', '/v1/orgs/acme/commands', { payload })
    const bytes = fromBase64(String(created['payload']))
    for (const k of this.org.admins.slice(0, 2)) {
      const sig = toBase64(nodeSign(k.seed, dsse.pae(COMMAND_PAYLOAD_TYPE, bytes)))
      await this.expect(200, 'POST', `/v1/orgs/acme/commands/${id}/signatures`, { keyid: keyId(k.pub), sig }, 201)
    }
  }

  /** The delivery status of command `id` for `deviceId` (undefined: none). */
  delivery(id: string, deviceId: string): string | undefined {
    const row = this.db.prepare('SELECT status FROM deliveries WHERE command_id = ? AND device_id = ?').get(`acme/${id}`, deviceId) as { status: string } | undefined
    return row?.status
  }

  /** Alerts of acme, as the API lists them. */
  async alerts(): Promise<{ id: string; deviceId: string | null; code: string; message: string; commandId: string | null }[]> {
    return (await this.expect(200, 'GET', '/v1/orgs/acme/alerts'))['alerts']
  }
}
