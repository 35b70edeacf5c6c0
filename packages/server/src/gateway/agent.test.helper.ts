/**
 * A real `ws` client that speaks the gateway protocol with a real device
 * key, for gateway tests (not a test file itself).
 */
import type { AddressInfo } from 'node:net'
import {
  dsse,
  formatReport,
  keyId,
  nodeSign,
  REJECTION_PAYLOAD_TYPE,
  RESULT_PAYLOAD_TYPE,
  toBase64,
  type CommandResult,
  type Rejection,
} from '@palisade/protocol'
import type { FastifyInstance } from 'fastify'
import WebSocket, { WebSocketServer } from 'ws'
import type { TestDevice, TestKey } from '../commands/org.test.helper.js'
import type { AgentGateway } from './agent-gateway.js'
import { helloMessage } from './hello-auth.js'

/** A frame from the server. */
export type ServerMessage = Record<string, any> & { type: string }

/** The gateway URL of a listening app. */
export function gatewayUrl(app: FastifyInstance): string {
  const { port } = app.server.address() as AddressInfo
  return `ws://127.0.0.1:${port}/v1/agent`
}

/**
 * Serves `gateway` on its own loopback WebSocket server (no compression, as
 * the real one) until the test ends, then closes both; returns its ws:// URL.
 *
 * @example
 * const url = await serveGateway(t, new AgentGateway({ db, log, logger }))
 */
export async function serveGateway(t: { after(fn: () => Promise<void>): void }, gateway: AgentGateway): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  wss.on('connection', (ws) => gateway.accept(ws))
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  t.after(async () => {
    await gateway.close()
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  })
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`
}

/**
 * One agent connection, with every frame it receives queued for the test to
 * take. Checkpoint frames (pushed after welcome and on every publish) have
 * their own queue, taken with next('checkpoint'), so tests about other
 * frames need not skip them; `received` keeps every frame in arrival order.
 */
export class TestAgent {
  readonly ws: WebSocket
  readonly closed: Promise<{ code: number; reason: string }>
  readonly received: ServerMessage[] = []
  readonly #inbox: ServerMessage[] = []
  readonly #checkpoints: ServerMessage[] = []
  #waiters: (() => void)[] = []
  nonce = ''

  private constructor(ws: WebSocket) {
    this.ws = ws
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as ServerMessage
      this.received.push(msg)
      ;(msg.type === 'checkpoint' ? this.#checkpoints : this.#inbox).push(msg)
      for (const w of this.#waiters.splice(0)) w()
    })
    ws.on('close', () => {
      for (const w of this.#waiters.splice(0)) w()
    })
    ws.on('error', () => {})
  }

  /** Connects and takes the challenge. */
  static async connect(app: FastifyInstance | string, options: WebSocket.ClientOptions = { perMessageDeflate: false }): Promise<TestAgent> {
    const ws = new WebSocket(typeof app === 'string' ? app : gatewayUrl(app), options)
    const agent = new TestAgent(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    const challenge = await agent.next('challenge')
    agent.nonce = challenge['nonce']
    return agent
  }

  /** Connects, says hello as `device`, and waits for welcome. */
  static async online(app: FastifyInstance | string, device: TestDevice, state = { rootVersion: 1, checkpointSize: 0 }): Promise<TestAgent> {
    const agent = await TestAgent.connect(app)
    agent.hello(device.id, device.key, state)
    await agent.next('welcome')
    return agent
  }

  hello(deviceId: string, key: TestKey, state = { rootVersion: 1, checkpointSize: 0 }): void {
    const signature = toBase64(nodeSign(key.seed, helloMessage(this.nonce, deviceId)))
    this.send({ type: 'hello', deviceId, signature, state, agentVersion: 'test/1' })
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The next frame (of `type`, skipping none but checkpoints: a frame of another type fails the test). */
  async next(type?: string, timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs
    const queue = type === 'checkpoint' ? this.#checkpoints : this.#inbox
    while (queue.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed while waiting for ${type ?? 'a frame'}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${type ?? 'frame'} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    const msg = queue.shift()!
    if (type !== undefined && msg.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(msg).slice(0, 300)}`)
    return msg
  }

  /** Takes every checkpoint frame received so far (oldest first). */
  takeCheckpoints(): ServerMessage[] {
    return this.#checkpoints.splice(0)
  }

  /** True when no frame arrives within `ms`. */
  async quiet(ms: number): Promise<boolean> {
    if (this.#inbox.length > 0) return false
    await new Promise((r) => setTimeout(r, ms))
    return this.#inbox.length === 0
  }

  close(): void {
    this.ws.close()
  }
}

/** A result envelope signed by `key`. */
export async function signedResult(key: TestKey, over: Partial<CommandResult> & Pick<CommandResult, 'org' | 'commandId' | 'deviceId'>): Promise<string> {
  const result: CommandResult = {
    type: 'palisade.result/v1',
    status: 'completed',
    exitCode: 0,
    signal: null,
    stdout: 'hello\n',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    startedAt: Date.now() - 10,
    finishedAt: Date.now(),
    ...over,
  }
  const env = await dsse.signEnvelope(RESULT_PAYLOAD_TYPE, formatReport(result), [dsse.ed25519Signer(keyId(key.pub), key.seed)])
  return dsse.formatEnvelope(env)
}

/** A rejection envelope signed by `key`. */
export async function signedRejection(key: TestKey, over: Partial<Rejection> & Pick<Rejection, 'org' | 'commandId' | 'deviceId'>): Promise<string> {
  const rejection: Rejection = { type: 'palisade.rejection/v1', code: 'PROTO_NOT_IN_LOG', message: 'not in the log', at: Date.now(), ...over }
  const env = await dsse.signEnvelope(REJECTION_PAYLOAD_TYPE, formatReport(rejection), [dsse.ed25519Signer(keyId(key.pub), key.seed)])
  return dsse.formatEnvelope(env)
}
