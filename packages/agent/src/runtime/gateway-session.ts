/**
 * One WebSocket connection to the agent gateway (docs/WIRE.md), from TCP
 * connect to close: challenge → hello (signed with the device key) →
 * welcome → deliveries, checkpoints and acks. Reconnecting is run-agent.ts's job.
 *
 * Guarantees: no compression (perMessageDeflate off: compressed frames
 * invite memory and side-channel trouble for no gain on JSON this size) and
 * frames of at most 4 MiB either way; the handshake (TCP, TLS, upgrade,
 * challenge, welcome) must finish within `handshakeTimeoutMs` or the socket
 * is dropped; a half-open connection is found by TCP keepalive and by a
 * ping at each heartbeat that must be answered before the next; closing is
 * bounded in time. No timer runs while the connection is idle except
 * those, and the caller drives the heartbeat.
 *
 * Trusts nothing the server says: frames are parsed by wire.ts and handed
 * on; the authenticity of what matters inside them is protocol's business.
 */
import WebSocket from 'ws'
import type { AgentLogger } from './logger.js'
import { MAX_FRAME_BYTES, parseServerFrame, type ServerFrame } from './wire.js'

/** The frames a session passes on once it is ready. */
export type ReadyFrame = Extract<ServerFrame, { type: 'delivery' | 'checkpoint' | 'ack' | 'error' }>

/** What a session asks of its owner. */
export interface SessionHandlers {
  /** Builds the signed hello answering a challenge nonce. */
  hello(nonce: string): Record<string, unknown>
  /** The server said welcome: the session can carry reports. */
  ready(session: GatewaySession): void
  frame(session: GatewaySession, frame: ReadyFrame): void
  /** Called once when a session that was ready has closed. */
  closed(session: GatewaySession): void
}

/** Options of one connection attempt. */
export interface SessionOptions {
  readonly url: string
  readonly signal: AbortSignal
  readonly logger: AgentLogger
  readonly handshakeTimeoutMs: number
  readonly userAgent: string
}

/** Time allowed for the close handshake before the socket is destroyed. */
const CLOSE_TIMEOUT_MS = 2000
/** Below this many queued deliveries, reading resumes after a pause. */
const RESUME_BELOW = 4
/** Above this many queued deliveries, the session stops reading (TCP pushes back on the server). */
const PAUSE_ABOVE = 32

/** A live connection, as seen by the agent runtime. */
export class GatewaySession {
  /** Spool entries sent on this connection (so a flush never sends one twice). */
  readonly sent = new Set<string>()
  /** Command ids whose result the server acknowledged on this connection. */
  readonly acked = new Set<string>()
  readonly #ws: WebSocket
  #closed = false
  #awaitingPong = false
  #queued = 0

  constructor(ws: WebSocket) {
    this.#ws = ws
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Sends one frame; resolves false when the connection is gone or the write failed. */
  send(frame: Readonly<Record<string, unknown>>): Promise<boolean> {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) return Promise.resolve(false)
    return new Promise((resolve) => this.#ws.send(JSON.stringify(frame), (err) => resolve(err === undefined || err === null)))
  }

  /**
   * Liveness: a ping now, and if the previous ping got no answer (nor any
   * other frame since), the connection is dead: drop it.
   */
  heartbeat(): void {
    if (this.#closed) return
    if (this.#awaitingPong) {
      this.#ws.terminate()
      return
    }
    this.#awaitingPong = true
    this.#ws.ping()
  }

  /** Something arrived: the peer is alive. */
  sawTraffic(): void {
    this.#awaitingPong = false
  }

  /** A delivery was queued: stop reading when too many wait. */
  queued(): void {
    if (++this.#queued > PAUSE_ABOVE && !this.#ws.isPaused) this.#ws.pause()
  }

  /** A queued delivery was handled (or dropped). */
  dequeued(): void {
    if (--this.#queued < RESUME_BELOW && this.#ws.isPaused) this.#ws.resume()
  }

  /** Starts a clean close; the socket is destroyed if the peer does not answer in time. */
  close(code = 1000, reason = ''): void {
    if (this.#ws.readyState === WebSocket.CLOSED) return
    this.#ws.close(code, reason)
    setTimeout(() => this.#ws.terminate(), CLOSE_TIMEOUT_MS).unref()
  }

  markClosed(): void {
    this.#closed = true
  }
}

/**
 * Connects once and serves until the connection closes. Resolves with how
 * long the session was authenticated (0 if it never got a welcome), for
 * the backoff's reset rule. Never rejects.
 *
 * @example
 * const upMs = await runSession(handlers, { url, signal, logger, handshakeTimeoutMs: 15_000, userAgent })
 */
export function runSession(handlers: SessionHandlers, opts: SessionOptions): Promise<number> {
  if (opts.signal.aborted) return Promise.resolve(0)
  return new Promise((resolve) => {
    const { logger } = opts
    const ws = new WebSocket(opts.url, {
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: opts.handshakeTimeoutMs,
      followRedirects: false,
      headers: { 'user-agent': opts.userAgent },
    })
    const session = new GatewaySession(ws)
    let phase: 'challenge' | 'welcome' | 'ready' = 'challenge'
    let readyAt = 0
    const handshake = setTimeout(() => {
      logger.log('warn', 'the gateway did not complete the handshake in time', { phase, timeoutMs: opts.handshakeTimeoutMs })
      ws.terminate()
    }, opts.handshakeTimeoutMs)
    const onAbort = (): void => session.close(1000, 'agent stopping')
    opts.signal.addEventListener('abort', onAbort, { once: true })

    ws.on('upgrade', (res) => {
      // finds a peer that vanished (cable, NAT timeout) even between heartbeats
      res.socket.setKeepAlive(true, 60_000)
    })
    ws.on('pong', () => session.sawTraffic())
    ws.on('error', (e) => logger.log('warn', 'gateway connection error', { url: opts.url, error: e.message }))
    ws.on('message', (data, isBinary) => {
      session.sawTraffic()
      if (isBinary) {
        logger.log('warn', 'the gateway sent a binary frame; closing', {})
        session.close(1003, 'text frames only')
        return
      }
      const frame = parseServerFrame(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'))
      if (frame.type === 'invalid') {
        logger.log('warn', 'ignoring a malformed frame from the gateway', { reason: frame.reason })
        if (phase !== 'ready') session.close(1002, 'bad handshake frame')
        return
      }
      if (phase === 'challenge') {
        if (frame.type !== 'challenge') {
          logger.log('warn', 'the gateway did not start with a challenge; closing', { got: frame.type })
          session.close(1002, 'expected a challenge')
          return
        }
        phase = 'welcome'
        void session.send(handlers.hello(frame.nonce))
      } else if (phase === 'welcome') {
        if (frame.type === 'error') {
          logger.log('error', 'the gateway refused the hello', { code: frame.code, message: frame.message })
          return
        }
        if (frame.type !== 'welcome') {
          logger.log('warn', 'the gateway did not welcome this device; closing', { got: frame.type })
          session.close(1002, 'expected welcome')
          return
        }
        clearTimeout(handshake)
        phase = 'ready'
        readyAt = Date.now()
        logger.log('info', 'connected to the gateway', { url: opts.url })
        handlers.ready(session)
      } else if (frame.type === 'delivery' || frame.type === 'checkpoint' || frame.type === 'ack' || frame.type === 'error') {
        handlers.frame(session, frame)
      } else {
        logger.log('warn', 'ignoring an unexpected frame from the gateway', { type: frame.type })
      }
    })
    ws.on('close', (code, reason) => {
      clearTimeout(handshake)
      opts.signal.removeEventListener('abort', onAbort)
      session.markClosed()
      const fields = { code, reason: reason.toString('utf8').slice(0, 200) }
      if (code === 4401) logger.log('error', 'the gateway refused this device (unknown device or bad signature); is it still enrolled?', fields)
      else if (phase === 'ready') logger.log(opts.signal.aborted ? 'info' : 'warn', 'disconnected from the gateway', fields)
      if (phase === 'ready') handlers.closed(session)
      resolve(readyAt === 0 ? 0 : Date.now() - readyAt)
    })
  })
}
