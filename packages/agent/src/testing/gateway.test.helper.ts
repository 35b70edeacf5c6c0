/**
 * A small but honest agent gateway for the agent's tests, speaking
 * docs/WIRE.md: POST /v1/enroll, and on /v1/agent a real challenge, a hello
 * verified against the enrolled device key, welcome, deliveries built by
 * protocol from a TestOrg, and acks. Every result and rejection it receives
 * is verified under the device key and parsed with protocol before it is
 * recorded. It runs in the test process; the agent under test may be in
 * the same process or a child.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import {
  ALERT_PAYLOAD_TYPE, dsse, fromBase64, keyId, nodeVerify, parseAlert, parseCommandResult, parseRejection, REJECTION_PAYLOAD_TYPE, RESULT_PAYLOAD_TYPE, toBase64,
  type Alert, type CommandResult, type Rejection,
} from '@palisade/protocol'
import type { TestOrg } from './org.test.helper.js'

export type GatewayEvent =
  | { type: 'attempt'; at: number }
  | { type: 'enroll'; deviceId: string; body: Record<string, unknown> }
  | { type: 'hello'; deviceId: string; ok: boolean; state: unknown; agentVersion: unknown }
  | { type: 'result'; deviceId: string; result: CommandResult; state: { rootVersion: number; checkpointSize: number } }
  | { type: 'rejection'; deviceId: string; rejection: Rejection; state: { rootVersion: number; checkpointSize: number } }
  | { type: 'alert'; deviceId: string; alert: Alert; envelope: string }
  | { type: 'inventory'; deviceId: string; digest: string }
  | { type: 'closed'; deviceId: string | null }

interface Conn {
  ws: WebSocket
  deviceId: string | null
  checkpointSize: number
}

export class TestGateway {
  readonly org: TestOrg
  readonly token = `tok_${randomBytes(12).toString('hex')}`
  readonly devices = new Map<string, Uint8Array>()
  readonly events: GatewayEvent[] = []
  /** Roots returned by /v1/enroll; default: the org's. */
  enrollRoots: string[] | undefined
  autoAck = true
  /** Upgrades to refuse (503) before accepting again. */
  refuseUpgrades = 0
  /** Enrollments to carry out and then not answer (the connection is cut): the agent's answer is lost. */
  loseEnrollAnswers = 0
  /** Enrollment requests to answer 503 without acting on them. */
  refuseEnrollments = 0
  /** Deliveries (log indexes) sent to a device right after welcome, then forgotten. */
  readonly pending = new Map<string, number[]>()
  #server: Server
  #wss: WebSocketServer
  #conns = new Set<Conn>()
  #sockets = new Set<Socket>()
  #waiters: { pred: (e: GatewayEvent) => boolean; resolve: (e: GatewayEvent) => void }[] = []
  #port = 0

  constructor(org: TestOrg) {
    this.org = org
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 })
    this.#server = this.#makeServer()
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(this.#port, '127.0.0.1', resolve))
    this.#port = (this.#server.address() as AddressInfo).port
    return this
  }

  /** Stops listening and drops every connection (the server "goes away"). */
  async stop(): Promise<void> {
    for (const c of this.#conns) c.ws.terminate()
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server = this.#makeServer()
  }

  /** Drops every agent connection but keeps listening. */
  dropConnections(): void {
    for (const c of this.#conns) c.ws.terminate()
  }

  connected(deviceId: string): boolean {
    return [...this.#conns].some((c) => c.deviceId === deviceId && c.ws.readyState === WebSocket.OPEN)
  }

  /** Sends the delivery of log entry `index` now (the device must be connected). */
  async deliver(deviceId: string, index: number, mutate?: (d: Record<string, unknown>) => void): Promise<void> {
    const conn = [...this.#conns].find((c) => c.deviceId === deviceId && c.ws.readyState === WebSocket.OPEN)
    if (conn === undefined) throw new Error(`device ${deviceId} is not connected`)
    await this.#send(conn, index, mutate)
  }

  /**
   * Pushes a checkpoint frame of the whole log (cosigned at `cosignTime`,
   * default now), with the consistency proof from the size the device last
   * reported; `mutate` may change the frame before it is sent.
   */
  async pushCheckpoint(deviceId: string, cosignTime?: number, mutate?: (f: Record<string, unknown>) => void): Promise<void> {
    const conn = [...this.#conns].find((c) => c.deviceId === deviceId && c.ws.readyState === WebSocket.OPEN)
    if (conn === undefined) throw new Error(`device ${deviceId} is not connected`)
    const frame = { type: 'checkpoint', ...(await this.org.checkpointUpdate(conn.checkpointSize, cosignTime)) }
    mutate?.(frame)
    conn.ws.send(JSON.stringify(frame))
  }

  /** Sends a raw frame to a connected device. */
  sendRaw(deviceId: string, frame: unknown): void {
    const conn = [...this.#conns].find((c) => c.deviceId === deviceId && c.ws.readyState === WebSocket.OPEN)
    if (conn === undefined) throw new Error(`device ${deviceId} is not connected`)
    conn.ws.send(JSON.stringify(frame))
  }

  ack(deviceId: string, commandId: string | null): void {
    this.sendRaw(deviceId, { type: 'ack', commandId })
  }

  /** Resolves with the first event (past or future) that matches. */
  waitFor<T extends GatewayEvent>(pred: (e: GatewayEvent) => e is T, timeoutMs?: number, since?: number): Promise<T>
  waitFor(pred: (e: GatewayEvent) => boolean, timeoutMs?: number, since?: number): Promise<GatewayEvent>
  waitFor(pred: (e: GatewayEvent) => boolean, timeoutMs = 10_000, since = 0): Promise<GatewayEvent> {
    const past = this.events.slice(since).find(pred)
    if (past !== undefined) return Promise.resolve(past)
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (e: GatewayEvent) => (clearTimeout(t), resolve(e)) }
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w)
        reject(new Error(`timed out waiting for a gateway event; saw: ${this.events.map((e) => e.type).join(', ')}`))
      }, timeoutMs)
      this.#waiters.push(w)
    })
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

  #makeServer(): Server {
    const server = createServer((req, res) => void this.#http(req, res))
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s)
      s.on('close', () => this.#sockets.delete(s))
    })
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.#emit({ type: 'attempt', at: Date.now() })
      if (req.url !== '/v1/agent' || this.refuseUpgrades > 0) {
        if (this.refuseUpgrades > 0) this.refuseUpgrades--
        socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
        return
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#agent(ws))
    })
    return server
  }

  async #http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const problem = (status: number, code: string, detail: string): void => {
      res.writeHead(status, { 'content-type': 'application/problem+json' })
      res.end(JSON.stringify({ type: 'about:blank', title: 'refused', status, code, detail }))
    }
    if (req.method !== 'POST' || req.url !== '/v1/enroll') return problem(404, 'SRV_NOT_FOUND', 'no such route')
    let body: Record<string, unknown>
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
    } catch {
      return problem(400, 'SRV_BAD_REQUEST', 'not JSON')
    }
    // a careless server that echoes the token: the agent must not print it
    if (body['token'] !== this.token) return problem(403, 'SRV_ENROLL_TOKEN_INVALID', `token ${String(body['token'])} is not valid`)
    if (this.refuseEnrollments > 0) {
      this.refuseEnrollments--
      return problem(503, 'SRV_UNAVAILABLE', 'try again')
    }
    const pub = fromBase64(String(body['publicKey']), 'publicKey')
    // Like the real server: the same key again (a retry) gets the device it enrolled.
    const known = [...this.devices].find(([, k]) => Buffer.from(k).equals(Buffer.from(pub)))?.[0]
    const deviceId = known ?? `dev-${this.devices.size + 1}-${randomBytes(3).toString('hex')}`
    this.devices.set(deviceId, pub)
    this.#emit({ type: 'enroll', deviceId, body })
    if (this.loseEnrollAnswers > 0) {
      this.loseEnrollAnswers--
      req.socket.destroy()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ deviceId, org: this.org.org, roots: this.enrollRoots ?? this.org.rootEnvelopes }))
  }

  #agent(ws: WebSocket): void {
    const conn: Conn = { ws, deviceId: null, checkpointSize: 0 }
    this.#conns.add(conn)
    const nonce = toBase64(randomBytes(32))
    ws.send(JSON.stringify({ type: 'challenge', nonce }))
    ws.on('close', () => {
      this.#conns.delete(conn)
      this.#emit({ type: 'closed', deviceId: conn.deviceId })
    })
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Record<string, any>
      if (conn.deviceId === null) {
        const pub = this.devices.get(msg['deviceId'])
        const ok =
          msg['type'] === 'hello' &&
          pub !== undefined &&
          nodeVerify(pub, new TextEncoder().encode(`palisade-agent-auth/v1\n${nonce}\n${msg['deviceId']}`), fromBase64(msg['signature'], 'sig'))
        this.#emit({ type: 'hello', deviceId: msg['deviceId'], ok, state: msg['state'], agentVersion: msg['agentVersion'] })
        if (!ok) return ws.close(4401, 'unauthorized')
        conn.deviceId = msg['deviceId']
        conn.checkpointSize = msg['state'].checkpointSize
        ws.send(JSON.stringify({ type: 'welcome' }))
        const queue = this.pending.get(conn.deviceId!) ?? []
        this.pending.delete(conn.deviceId!)
        void (async () => {
          for (const index of queue) await this.#send(conn, index)
        })()
        return
      }
      const deviceId = conn.deviceId
      if (msg['type'] === 'inventory') return this.#emit({ type: 'inventory', deviceId, digest: msg['digest'] })
      const pub = this.devices.get(deviceId)!
      if (msg['type'] === 'alert') {
        const env = dsse.parseEnvelope(msg['envelope'])
        dsse.verifyEnvelope(env, { payloadType: ALERT_PAYLOAD_TYPE, keys: [{ keyid: keyId(pub), publicKey: pub }], threshold: 1 })
        this.#emit({ type: 'alert', deviceId, alert: parseAlert(env.payload), envelope: msg['envelope'] })
        if (this.autoAck) ws.send(JSON.stringify({ type: 'ack', commandId: null }))
        return
      }
      if (msg['type'] !== 'result' && msg['type'] !== 'rejection') throw new Error(`unexpected frame ${msg['type']}`)
      const payloadType = msg['type'] === 'result' ? RESULT_PAYLOAD_TYPE : REJECTION_PAYLOAD_TYPE
      const env = dsse.parseEnvelope(msg['envelope'])
      dsse.verifyEnvelope(env, { payloadType, keys: [{ keyid: keyId(pub), publicKey: pub }], threshold: 1 })
      conn.checkpointSize = msg['state'].checkpointSize
      let commandId: string | null
      if (msg['type'] === 'result') {
        const result = parseCommandResult(env.payload)
        commandId = result.commandId
        this.#emit({ type: 'result', deviceId, result, state: msg['state'] })
      } else {
        const rejection = parseRejection(env.payload)
        commandId = rejection.commandId
        this.#emit({ type: 'rejection', deviceId, rejection, state: msg['state'] })
      }
      if (this.autoAck) ws.send(JSON.stringify({ type: 'ack', commandId }))
    })
  }

  async #send(conn: Conn, index: number, mutate?: (d: Record<string, unknown>) => void): Promise<void> {
    const delivery = await this.org.delivery(index, conn.checkpointSize)
    mutate?.(delivery)
    const payload = JSON.parse(
      new TextDecoder().decode(dsse.parseEnvelope(delivery['envelope'] as string).payload),
    ) as { id?: string }
    conn.ws.send(JSON.stringify({ type: 'delivery', commandId: payload.id ?? null, delivery }))
  }
}

/** Type guards for waitFor. */
export const isResult = (id: string) => (e: GatewayEvent): e is Extract<GatewayEvent, { type: 'result' }> =>
  e.type === 'result' && e.result.commandId === id
export const isRejection = (code: string) => (e: GatewayEvent): e is Extract<GatewayEvent, { type: 'rejection' }> =>
  e.type === 'rejection' && e.rejection.code === code
export const isAlert = (code: string, deviceId?: string) => (e: GatewayEvent): e is Extract<GatewayEvent, { type: 'alert' }> =>
  e.type === 'alert' && e.alert.code === code && (deviceId === undefined || e.deviceId === deviceId)
export const isHello = (deviceId: string) => (e: GatewayEvent): e is Extract<GatewayEvent, { type: 'hello' }> =>
  e.type === 'hello' && e.deviceId === deviceId && e.ok
