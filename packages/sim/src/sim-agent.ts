/**
 * One simulated agent: a device with its own key and trust state, speaking
 * the real gateway protocol (docs/WIRE.md, "Agent gateway") on its own
 * WebSocket, as packages/agent's gateway-session.ts and device-agent.ts do:
 *
 *   challenge → hello (signed with the device key) → welcome → inventory,
 *   then for each delivery, in order:
 *     parseDelivery    malformed → signed rejection AGENT_MALFORMED_DELIVERY
 *     verifyCommand    refused   → signed rejection with the PROTO_* code
 *     accepted         → the next trust state is kept, and instead of running
 *                        the script: a signed result "completed", exit 0,
 *                        stdout "[palisade sim: not executed]\n".
 *   Reports stay queued until the server acks their command id, and the
 *   queue is resent after every reconnect. A redelivery of a command whose
 *   result is queued (or was acked on this connection) is answered with the
 *   result, not a replay rejection, as the real agent does.
 *
 * What differs from the real agent, on purpose: no script runs and no local
 * policy applies (nothing runs); reports and trust state live in memory and
 * are saved lazily (state-store.ts says why); no timer per agent: the fleet
 * drives heartbeats and the ramp drives connection attempts.
 *
 * Memory per agent is what this object holds, its key, and its socket:
 * everything immutable is shared (shared-trust.ts), and report queues
 * exist only while a report waits for its ack.
 */
import {
  currentRoot,
  dsse,
  agentAuthMessage,
  formatReport,
  GATEWAY_MAX_FRAME_BYTES,
  parseCheckpointUpdate,
  parseDelivery,
  parseServerFrame,
  toBase64,
  verifyCheckpointUpdate,
  verifyCommand,
  REJECTION_PAYLOAD_TYPE,
  RESULT_PAYLOAD_TYPE,
  type CommandResult,
  type InvalidFrame,
  type KnownRejectionCode,
  type Rejection,
  type ServerFrame,
  type TrustState,
} from '@palisade/protocol'
import WebSocket from 'ws'
import { backoffDelay, type BackoffTuning } from './backoff.js'
import type { SimCounters } from './counters.js'
import { signWith, type DeviceKey } from './device-key.js'
import { simInventory, simInventoryDigest } from './inventory.js'
import type { Ramp } from './ramp.js'
import type { SharedTrust } from './shared-trust.js'
import { SIM_AGENT_VERSION } from './wire.js'
import type { WorkQueue } from './work-queue.js'

/** What every result of a simulated agent says in stdout. */
export const SIM_STDOUT = '[palisade sim: not executed]\n'

/** What a fleet of agents shares. */
export interface AgentContext {
  /** ws:// or wss:// URL of the gateway. */
  readonly url: string
  readonly shared: SharedTrust
  readonly counters: SimCounters
  readonly ramp: Ramp
  readonly handshakeTimeoutMs: number
  readonly backoff: BackoffTuning & { readonly resetAfterMs: number }
  /** Called when the trust state changed and should be saved. */
  dirty(agent: SimAgent): void
  /** Rare events worth a line (never keys, tokens or frame contents). */
  note(message: string): void
  /** True once the fleet is stopping: no reconnects. */
  readonly stopping: () => boolean
  /** Where frames after the handshake are handled, so socket reads (and pongs) never wait behind verification (work-queue.ts). */
  readonly work: WorkQueue
}

type Report = { readonly kind: 'result' | 'rejection'; readonly commandId: string | null; readonly envelope: string }
type Phase = 'idle' | 'challenge' | 'welcome' | 'ready'

export class SimAgent {
  readonly index: number
  readonly deviceId: string
  readonly org: string
  readonly key: DeviceKey
  readonly #ctx: AgentContext
  readonly #localAddress: string | undefined
  trust: TrustState
  #ws: WebSocket | undefined
  #phase: Phase = 'idle'
  #readyAt = 0
  #attempt = 0
  #awaitingPong = false
  /** Reports not acked yet, oldest first; undefined when empty (the common case). */
  #unacked: Report[] | undefined
  /** Results the server acked on the current connection (a redelivery of one is the server's race). */
  #ackedHere: Set<string> | undefined

  constructor(o: { index: number; deviceId: string; org: string; key: DeviceKey; trust: TrustState; localAddress: string | undefined }, ctx: AgentContext) {
    this.index = o.index
    this.deviceId = o.deviceId
    this.org = o.org
    this.key = o.key
    this.trust = o.trust
    this.#localAddress = o.localAddress
    this.#ctx = ctx
  }

  get connected(): boolean {
    return this.#phase === 'ready'
  }

  /** Queues the first connection attempt on the ramp. */
  start(): void {
    this.#ctx.counters.connecting++
    this.#ctx.ramp.enqueue(() => this.#connect())
  }

  /** Liveness, driven by the fleet: a ping, and a connection whose last ping got no answer is dropped. */
  heartbeat(): void {
    const ws = this.#ws
    if (ws === undefined || this.#phase !== 'ready') return
    if (this.#awaitingPong) {
      ws.terminate()
      return
    }
    this.#awaitingPong = true
    ws.ping()
  }

  /** Closes the connection (1000); the fleet is stopping, so no reconnect follows. */
  stop(): void {
    const ws = this.#ws
    if (ws === undefined) return
    ws.close(1000, 'simulator stopping')
    setTimeout(() => ws.terminate(), 2000).unref()
  }

  /** The trust-state summary every hello and report carries. */
  #summary(): { rootVersion: number; checkpointSize: number } {
    return { rootVersion: currentRoot(this.trust).root.version, checkpointSize: this.trust.checkpoint?.size ?? 0 }
  }

  #connect(): Promise<void> {
    const ctx = this.#ctx
    if (ctx.stopping()) {
      ctx.counters.connecting--
      return Promise.resolve()
    }
    return new Promise<void>((settled) => {
      let done = false
      const finish = (): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        ctx.counters.connecting--
        settled()
      }
      const ws = new WebSocket(ctx.url, {
        perMessageDeflate: false,
        maxPayload: GATEWAY_MAX_FRAME_BYTES,
        handshakeTimeout: ctx.handshakeTimeoutMs,
        followRedirects: false,
        headers: { 'user-agent': SIM_AGENT_VERSION },
        ...(this.#localAddress === undefined ? {} : { localAddress: this.#localAddress }),
      })
      this.#ws = ws
      this.#phase = 'challenge'
      this.#awaitingPong = false
      this.#ackedHere = undefined
      const timer = setTimeout(() => ws.terminate(), ctx.handshakeTimeoutMs)
      ws.on('pong', () => (this.#awaitingPong = false))
      ws.on('error', () => undefined) // 'close' follows and decides
      ws.on('message', (data, isBinary) => {
        this.#awaitingPong = false
        if (isBinary) return void ws.close(1003, 'text frames only')
        const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8')
        // Deliveries and checkpoints cost verification: queued, in order (work-queue.ts says why).
        if (this.#phase === 'ready') return ctx.work.push(() => this.#onReadyFrame(parseServerFrame(text)))
        if (this.#onFrame(ws, parseServerFrame(text))) finish()
      })
      ws.on('close', (code) => {
        const wasReady = this.#phase === 'ready'
        this.#phase = 'idle'
        if (this.#ws === ws) this.#ws = undefined
        if (wasReady) ctx.counters.connected--
        else ctx.counters.connectFailures++
        if (code === 4401) ctx.note(`agent ${this.index} (${this.deviceId}): the gateway refused this device (4401)`)
        finish()
        this.#reconnect(wasReady ? Date.now() - this.#readyAt : 0, wasReady)
      })
    })
  }

  #reconnect(upMs: number, wasReady: boolean): void {
    const ctx = this.#ctx
    if (ctx.stopping()) return
    if (upMs >= ctx.backoff.resetAfterMs) this.#attempt = 0
    if (wasReady) ctx.counters.reconnects++
    const delay = backoffDelay(this.#attempt++, ctx.backoff)
    ctx.counters.connecting++
    setTimeout(() => ctx.ramp.enqueue(() => this.#connect()), delay)
  }

  /** Handles one handshake frame; true when the handshake is over (welcome, or refused). */
  #onFrame(ws: WebSocket, frame: ServerFrame | InvalidFrame): boolean {
    const ctx = this.#ctx
    if (frame.type === 'invalid') {
      if (this.#phase === 'ready') return false
      ws.close(1002, 'bad handshake frame')
      return true
    }
    if (this.#phase === 'challenge') {
      if (frame.type !== 'challenge') {
        ws.close(1002, 'expected a challenge')
        return true
      }
      this.#phase = 'welcome'
      const signature = toBase64(signWith(this.key, agentAuthMessage(frame.nonce, this.deviceId)))
      ws.send(JSON.stringify({ type: 'hello', deviceId: this.deviceId, signature, state: this.#summary(), agentVersion: SIM_AGENT_VERSION }))
      return false
    }
    if (this.#phase === 'welcome') {
      if (frame.type === 'error') return false
      if (frame.type !== 'welcome') {
        ws.close(1002, 'expected welcome')
        return true
      }
      this.#phase = 'ready'
      this.#readyAt = Date.now()
      ctx.counters.connected++
      const hostname = `sim-${this.index}`
      const inventory = simInventory(this.index, hostname)
      ws.send(JSON.stringify({ type: 'inventory', inventory, digest: simInventoryDigest(inventory) }))
      for (const r of this.#unacked ?? []) this.#send(r)
      return true
    }
    this.#onReadyFrame(frame)
    return false
  }

  /**
   * Handles a frame that came after welcome. It may run once its
   * connection is gone (it waited in the work queue): what it produces is
   * kept with the agent's other unacked reports and sent after the next
   * welcome, as a report that could not be sent always is.
   */
  #onReadyFrame(frame: ServerFrame | InvalidFrame): void {
    const ctx = this.#ctx
    switch (frame.type) {
      case 'delivery':
        this.#onDelivery(frame.commandId, frame.delivery)
        break
      case 'ack':
        this.#onAck(frame.commandId)
        break
      case 'error':
        ctx.counters.serverErrors++
        ctx.note(`agent ${this.index}: the gateway refused a report: ${frame.code}`)
        break
      case 'checkpoint':
        this.#onCheckpoint(frame.update)
        break
      default:
        break
    }
  }

  #onDelivery(label: string | null, body: unknown): void {
    const ctx = this.#ctx
    ctx.counters.deliveries++
    let delivery
    try {
      delivery = parseDelivery(body)
    } catch (e) {
      this.#reject(label, 'AGENT_MALFORMED_DELIVERY', `the delivery${label === null ? '' : ` the server calls ${label}`} is malformed: ${(e as Error).message}`)
      return
    }
    const verdict = verifyCommand(this.trust, delivery, { id: this.deviceId }, Math.floor(Date.now() / 1000))
    if (!verdict.ok) {
      const id = verdict.commandId
      if (verdict.code === 'PROTO_REPLAY' && id !== undefined && this.#resultInFlight(id)) {
        for (const r of this.#unacked ?? []) if (r.commandId === id) this.#send(r)
        return
      }
      this.#reject(id ?? label, verdict.code, verdict.message)
      return
    }
    ctx.counters.verified++
    this.trust = ctx.shared.intern(verdict.nextState)
    ctx.dirty(this)
    const now = Date.now()
    const result: CommandResult = {
      type: 'palisade.result/v1',
      org: verdict.command.org,
      commandId: verdict.command.id,
      deviceId: this.deviceId,
      status: 'completed',
      exitCode: 0,
      signal: null,
      stdout: SIM_STDOUT,
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      startedAt: now,
      finishedAt: now,
    }
    this.#queue({ kind: 'result', commandId: result.commandId, envelope: this.#sign(RESULT_PAYLOAD_TYPE, formatReport(result)) })
  }

  #onCheckpoint(body: Readonly<Record<string, unknown>>): void {
    const ctx = this.#ctx
    let verdict
    try {
      verdict = verifyCheckpointUpdate(this.trust, parseCheckpointUpdate(body), Math.floor(Date.now() / 1000))
    } catch (e) {
      verdict = { ok: false as const, code: 'PROTO_MALFORMED', message: (e as Error).message }
    }
    if (verdict.ok) {
      ctx.counters.checkpoints++
      this.trust = ctx.shared.intern(verdict.nextState)
      ctx.dirty(this)
    } else {
      // The real agent raises a signed alert here; the simulator counts it and says so once per agent.
      ctx.counters.checkpointsRefused++
      ctx.note(`agent ${this.index}: refused a checkpoint frame: ${verdict.code}`)
    }
  }

  #resultInFlight(commandId: string): boolean {
    return (this.#unacked?.some((r) => r.kind === 'result' && r.commandId === commandId) ?? false) || (this.#ackedHere?.has(commandId) ?? false)
  }

  #onAck(commandId: string | null): void {
    const list = this.#unacked
    const i = list === undefined ? -1 : list.findIndex((r) => r.commandId === commandId)
    if (i < 0) return
    const [r] = list!.splice(i, 1)
    if (list!.length === 0) this.#unacked = undefined
    if (r!.kind === 'result') {
      this.#ctx.counters.resultsAcked++
      if (commandId !== null) (this.#ackedHere ??= new Set()).add(commandId)
    } else this.#ctx.counters.rejectionsAcked++
  }

  #reject(commandId: string | null, code: KnownRejectionCode, message: string): void {
    this.#ctx.counters.rejections++
    const rejection: Rejection = {
      type: 'palisade.rejection/v1',
      org: this.org,
      deviceId: this.deviceId,
      commandId,
      code,
      message: message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 4096),
      at: Date.now(),
    }
    this.#queue({ kind: 'rejection', commandId, envelope: this.#sign(REJECTION_PAYLOAD_TYPE, formatReport(rejection)) })
  }

  /** A DSSE envelope over `payload`, signed by the device key (keyid = keyId(device public key)). */
  #sign(payloadType: string, payload: Uint8Array): string {
    const sig = signWith(this.key, dsse.pae(payloadType, payload))
    return dsse.formatEnvelope({ payloadType, payload, signatures: [{ keyid: this.key.keyid, sig }] })
  }

  #queue(r: Report): void {
    ;(this.#unacked ??= []).push(r)
    this.#send(r)
  }

  #send(r: Report): void {
    const ws = this.#ws
    if (ws === undefined || this.#phase !== 'ready') return // resent after the next welcome
    ws.send(JSON.stringify({ type: r.kind, envelope: r.envelope, state: this.#summary() }))
  }
}
