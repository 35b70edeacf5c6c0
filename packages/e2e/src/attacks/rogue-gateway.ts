/**
 * The breached server's agent gateway: a real WebSocket server in the test
 * process speaking docs/WIRE.md exactly (challenge, hello checked against
 * the device's real key, welcome, deliveries, acks), that sends the agent
 * whatever a scenario crafts.
 *
 * Every report the agent sends back is checked here the way an honest
 * server (or an auditor) would: the DSSE envelope must verify under the
 * device key, and its payload must parse as a palisade.result/v1 or
 * palisade.rejection/v1. A report that does not verify is recorded as such,
 * so a test can fail on it.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import {
  agentAuthMessage, dsse, fromBase64, GATEWAY_MAX_FRAME_BYTES, keyId, nodeVerify, parseAlert, parseCommandResult, parseRejection, toBase64,
  ALERT_PAYLOAD_TYPE, REJECTION_PAYLOAD_TYPE, RESULT_PAYLOAD_TYPE,
} from '@palisade/protocol'

/** WIRE.md: frames of at most 4 MiB. */
export const MAX_FRAME_BYTES = GATEWAY_MAX_FRAME_BYTES

/** What the agent reported for one command, as received and verified. */
export interface Report {
  readonly kind: 'result' | 'rejection'
  readonly commandId: string | null
  /** The rejection code, or null for a result. */
  readonly code: string | null
  readonly exitCode: number | null
  /** The DSSE envelope text exactly as the agent sent it. */
  readonly envelope: string
  /** True when the envelope verified under the device key and its payload parsed. */
  readonly verified: boolean
  readonly state: { readonly rootVersion: number; readonly checkpointSize: number } | undefined
}

export type GatewayEvent =
  | { readonly type: 'connect'; readonly conn: number }
  | { readonly type: 'hello'; readonly ok: boolean; readonly state: unknown; readonly agentVersion: unknown }
  | { readonly type: 'report'; readonly report: Report }
  | { readonly type: 'inventory' }
  /** An alert the device raised on its own account (WIRE.md step 4: `alert` frame); verified as for reports. */
  | { readonly type: 'alert'; readonly code: string | null; readonly envelope: string; readonly verified: boolean }
  | { readonly type: 'other'; readonly frameType: unknown }
  | { readonly type: 'closed'; readonly conn: number; readonly code: number; readonly reason: string }

/** A hostile handshake: takes over a new connection instead of the honest challenge. */
export type HandshakeOverride = (ws: WebSocket) => void

export class RogueGateway {
  readonly events: GatewayEvent[] = []
  /** The checkpoint size the agent last reported (hello, results, rejections). */
  agentCheckpointSize = 0
  agentRootVersion = 0
  #deviceId = ''
  #devicePub: Uint8Array = new Uint8Array(32)
  readonly #server: Server
  readonly #wss: WebSocketServer
  readonly #sockets = new Set<Socket>()
  #conn: WebSocket | undefined
  #handshakes: HandshakeOverride[] = []
  #waiters: { pred: (e: GatewayEvent) => boolean; since: number; resolve: (e: GatewayEvent) => void }[] = []
  #port = 0
  #connections = 0

  constructor() {
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES })
    this.#server = createServer((_req, res) => res.writeHead(404).end())
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s)
      s.on('close', () => this.#sockets.delete(s))
    })
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (req.url !== '/v1/agent') return void socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws))
    })
  }

  /** The one device this gateway knows (its id and registered public key), as enrollment left it in the database. */
  knowDevice(device: { readonly id: string; readonly publicKey: Uint8Array }): void {
    this.#deviceId = device.id
    this.#devicePub = device.publicKey
  }

  /** The server base URL to write into device.json. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.#port = (this.#server.address() as AddressInfo).port
    return this
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** True while an authenticated connection is open. */
  get connected(): boolean {
    return this.#conn !== undefined && this.#conn.readyState === WebSocket.OPEN
  }

  /** The next connection gets `h` instead of the honest handshake. */
  hijackNextHandshake(h: HandshakeOverride): void {
    this.#handshakes.push(h)
  }

  /** Sends a JSON frame on the current connection. */
  send(frame: unknown): Promise<void> {
    return this.sendRaw(JSON.stringify(frame))
  }

  /** Sends raw text or binary data on the current connection. */
  sendRaw(data: string | Buffer, binary = false): Promise<void> {
    const ws = this.#conn
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('the agent is not connected'))
    return new Promise((resolve, reject) => ws.send(data, { binary }, (err) => (err ? reject(err) : resolve())))
  }

  /** Drops the current connection without a close handshake. */
  drop(): void {
    this.#conn?.terminate()
  }

  /** The first event at or after index `since` that matches. */
  waitFor(pred: (e: GatewayEvent) => boolean, timeoutMs = 10_000, since = 0): Promise<GatewayEvent> {
    const past = this.events.slice(since).find(pred)
    if (past !== undefined) return Promise.resolve(past)
    return new Promise((resolve, reject) => {
      const w = { pred, since, resolve: (e: GatewayEvent) => (clearTimeout(t), resolve(e)) }
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a gateway event; last events: ${this.events.slice(-8).map(describe).join(', ')}`))
      }, timeoutMs)
      this.#waiters.push(w)
    })
  }

  /** Reports received since event index `since`. */
  reportsSince(since: number): Report[] {
    return this.events.slice(since).flatMap((e) => (e.type === 'report' ? [e.report] : []))
  }

  #emit(e: GatewayEvent): void {
    this.events.push(e)
    for (const w of [...this.#waiters]) {
      if (w.pred(e)) {
        this.#waiters = this.#waiters.filter((x) => x !== w)
        w.resolve(e)
      }
    }
  }

  #accept(ws: WebSocket): void {
    const conn = ++this.#connections
    this.#emit({ type: 'connect', conn })
    ws.on('close', (code, reason) => this.#emit({ type: 'closed', conn, code, reason: reason.toString('utf8') }))
    ws.on('error', () => undefined)
    const hijack = this.#handshakes.shift()
    if (hijack !== undefined) return hijack(ws)
    const nonce = toBase64(randomBytes(32))
    let authenticated = false
    ws.send(JSON.stringify({ type: 'challenge', nonce }))
    ws.on('message', (data, isBinary) => {
      let msg: Record<string, unknown>
      try {
        msg = JSON.parse(isBinary ? '' : String(data)) as Record<string, unknown>
      } catch {
        return this.#emit({ type: 'other', frameType: 'not JSON' })
      }
      if (!authenticated) {
        authenticated = this.#hello(ws, nonce, msg)
        return
      }
      if (msg['type'] === 'result' || msg['type'] === 'rejection') return this.#report(ws, msg)
      if (msg['type'] === 'inventory') return this.#emit({ type: 'inventory' })
      if (msg['type'] === 'alert') return this.#alert(ws, msg)
      this.#emit({ type: 'other', frameType: msg['type'] })
    })
  }

  #hello(ws: WebSocket, nonce: string, msg: Record<string, unknown>): boolean {
    let ok = false
    try {
      ok =
        msg['type'] === 'hello' &&
        msg['deviceId'] === this.#deviceId &&
        nodeVerify(this.#devicePub, agentAuthMessage(nonce, this.#deviceId), fromBase64(String(msg['signature']), 'signature'))
    } catch {
      ok = false
    }
    const state = msg['state'] as { rootVersion?: unknown; checkpointSize?: unknown } | undefined
    this.#emit({ type: 'hello', ok, state, agentVersion: msg['agentVersion'] })
    if (!ok) {
      ws.close(4401, 'unauthorized')
      return false
    }
    this.#noteState(state)
    this.#conn = ws
    ws.send(JSON.stringify({ type: 'welcome' }))
    return true
  }

  #report(ws: WebSocket, msg: Record<string, unknown>): void {
    const kind = msg['type'] as 'result' | 'rejection'
    const envelope = String(msg['envelope'])
    const state = msg['state'] as Report['state']
    let report: Report
    try {
      const env = dsse.parseEnvelope(envelope)
      const payloadType = kind === 'result' ? RESULT_PAYLOAD_TYPE : REJECTION_PAYLOAD_TYPE
      dsse.verifyEnvelope(env, { payloadType, keys: [{ keyid: keyId(this.#devicePub), publicKey: this.#devicePub }], threshold: 1 })
      if (kind === 'result') {
        const r = parseCommandResult(env.payload)
        const verified = r.deviceId === this.#deviceId
        report = { kind, commandId: r.commandId, code: null, exitCode: r.exitCode, envelope, verified, state }
      } else {
        const r = parseRejection(env.payload)
        const verified = r.deviceId === this.#deviceId
        report = { kind, commandId: r.commandId, code: r.code, exitCode: null, envelope, verified, state }
      }
    } catch {
      report = { kind, commandId: null, code: null, exitCode: null, envelope, verified: false, state }
    }
    this.#noteState(state)
    this.#emit({ type: 'report', report })
    ws.send(JSON.stringify({ type: 'ack', commandId: report.commandId }))
  }

  #alert(ws: WebSocket, msg: Record<string, unknown>): void {
    const envelope = String(msg['envelope'])
    let code: string | null = null
    let verified = false
    try {
      const env = dsse.parseEnvelope(envelope)
      dsse.verifyEnvelope(env, { payloadType: ALERT_PAYLOAD_TYPE, keys: [{ keyid: keyId(this.#devicePub), publicKey: this.#devicePub }], threshold: 1 })
      const a = parseAlert(env.payload)
      code = a.code
      verified = a.deviceId === this.#deviceId
    } catch {
      verified = false
    }
    this.#emit({ type: 'alert', code, envelope, verified })
    ws.send(JSON.stringify({ type: 'ack', commandId: null }))
  }

  #noteState(state: { rootVersion?: unknown; checkpointSize?: unknown } | undefined): void {
    if (typeof state?.checkpointSize === 'number') this.agentCheckpointSize = state.checkpointSize
    if (typeof state?.rootVersion === 'number') this.agentRootVersion = state.rootVersion
  }
}

function describe(e: GatewayEvent): string {
  if (e.type === 'report') return `${e.report.kind}(${e.report.commandId}${e.report.code ? ` ${e.report.code}` : ''})`
  if (e.type === 'closed') return `closed(#${e.conn} ${e.code})`
  if (e.type === 'alert') return `alert(${e.code ?? 'unverified'})`
  return e.type
}
