/**
 * A device on the agent gateway, driven by the test: a real WebSocket to a
 * real server speaking docs/WIRE.md with a real device key (the one a real
 * `palisade agent enroll` wrote). A hostile device (A4) is exactly this: a
 * device key plus whatever frames its owner chooses to send, so the test
 * plays it rather than a patched agent.
 */
import { agentAuthMessage, dsse, formatReport, keyId, nodePublicKey, nodeSign, toBase64, RESULT_PAYLOAD_TYPE, type CommandResult } from '@palisade/protocol'
import WebSocket from 'ws'

/** A frame the server sent. */
export type ServerFrame = Record<string, unknown> & { readonly type: string }

/** An enrolled device's identity, as its state directory holds it. */
export interface DeviceIdentity {
  readonly id: string
  readonly seed: Uint8Array
}

/**
 * The exact bytes a device signs to answer a challenge (WIRE.md step 2):
 * protocol's agentAuthMessage, the agent's own.
 *
 * @example
 * nodeSign(seed, helloMessage(nonce, 'dev-1')) // the hello signature
 */
export function helloMessage(nonce: string, deviceId: string): Uint8Array {
  return agentAuthMessage(nonce, deviceId)
}

/**
 * A result envelope for `commandId`, naming `deviceId`, signed with `signer`'s key.
 *
 * @example
 * const forged = signedResult(deviceA, 'acme', 'cmd-1', deviceA.id) // sent over B's connection
 */
export async function signedResult(signer: DeviceIdentity, org: string, commandId: string, deviceId: string): Promise<string> {
  const now = Date.now()
  const result: CommandResult = {
    type: 'palisade.result/v1', org, commandId, deviceId, status: 'completed', exitCode: 0, signal: null,
    stdout: 'done\n', stderr: '', stdoutTruncated: false, stderrTruncated: false, startedAt: now - 10, finishedAt: now,
  }
  const pub = nodePublicKey(signer.seed)
  const env = await dsse.signEnvelope(RESULT_PAYLOAD_TYPE, formatReport(result), [dsse.ed25519Signer(keyId(pub), signer.seed)])
  return dsse.formatEnvelope(env)
}

/** One gateway connection; every frame received is queued for the test to take in order. */
export class DeviceClient {
  readonly ws: WebSocket
  /** Resolves with the close code and reason, whoever closed. */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>
  nonce = ''
  readonly #inbox: ServerFrame[] = []
  #wake: (() => void) | undefined

  private constructor(ws: WebSocket) {
    this.ws = ws
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })))
    ws.on('message', (data) => {
      this.#inbox.push(JSON.parse(String(data)) as ServerFrame)
      this.#wake?.()
    })
    ws.on('close', () => this.#wake?.())
    ws.on('error', () => undefined)
  }

  /** Opens a connection to `${server}/v1/agent` and takes the challenge. */
  static async connect(server: string): Promise<DeviceClient> {
    const ws = new WebSocket(`${server.replace(/^http/, 'ws')}/v1/agent`, { perMessageDeflate: false })
    const c = new DeviceClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    c.nonce = String((await c.next('challenge'))['nonce'])
    return c
  }

  /** Connects and authenticates as `device`, waiting for welcome. */
  static async online(server: string, device: DeviceIdentity): Promise<DeviceClient> {
    const c = await DeviceClient.connect(server)
    c.hello(device.id, device.seed)
    await c.next('welcome')
    return c
  }

  /** Sends hello claiming `deviceId`, signed with `seed` (the device's own key, or not). */
  hello(deviceId: string, seed: Uint8Array): void {
    const signature = toBase64(nodeSign(seed, helloMessage(this.nonce, deviceId)))
    this.send({ type: 'hello', deviceId, signature, state: { rootVersion: 1, checkpointSize: 0 }, agentVersion: 'hostile-device/1' })
  }

  /** Sends a result frame carrying `envelope`. */
  report(envelope: string): void {
    this.send({ type: 'result', envelope, state: { rootVersion: 1, checkpointSize: 0 } })
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame))
  }

  /** The next frame of type `type` (frames of other types before it are skipped); throws on close or timeout. */
  next(type: string, timeoutMs = 10_000): Promise<ServerFrame> {
    return this.take((f) => f.type === type, `a ${type} frame`, timeoutMs)
  }

  /** The server's answer to a report: the next `ack` or `error` frame. */
  answer(timeoutMs = 10_000): Promise<ServerFrame> {
    return this.take((f) => f.type === 'ack' || f.type === 'error', 'an ack or error', timeoutMs)
  }

  /** The first queued frame matching `pred`, removed with every frame before it. */
  async take(pred: (f: ServerFrame) => boolean, what: string, timeoutMs: number): Promise<ServerFrame> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const i = this.#inbox.findIndex(pred)
      if (i >= 0) return this.#inbox.splice(0, i + 1)[i]!
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`the connection closed before ${what}`)
      const left = end - Date.now()
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (got: ${this.#inbox.map((f) => f.type).join(', ') || 'nothing'})`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#wake = () => (clearTimeout(t), resolve())
      })
    }
  }

  close(): void {
    this.ws.close(1000)
  }
}
