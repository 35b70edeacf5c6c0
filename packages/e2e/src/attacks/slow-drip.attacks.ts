/**
 * Slow drip (A4: a hostile device or any client must not hold the server's
 * connections): a WebSocket that never answers the challenge, or trickles
 * its hello a byte at a time, is closed 4408 once the hello timeout passes
 * (WIRE.md; PALISADE_HELLO_TIMEOUT_MS, shortened here); an HTTP request
 * whose headers or body trickle in is cut off with 408 SRV_REQUEST_TIMEOUT
 * once the request timeout passes (PALISADE_REQUEST_TIMEOUT_MS, checked
 * every quarter of it). "Held" below means the server kept the connection
 * open longer than that bound plus a second of slack: the socket must be
 * closed by the server, not by the test giving up.
 */
import { connect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { nodePublicKey, nodeSign, toBase64 } from '@palisade/protocol'
import type { ClientScenario, Fleet, Outcome } from './client-scenario.js'
import { DeviceClient, helloMessage } from './device-client.js'
import { TIMEOUTS } from './live-server.js'

// generous: npm test runs two test files at once on two cores; a held connection overshoots by far more
const SLACK_MS = 2500
/** The longest the server may hold a dripping HTTP request: the timeout and one check interval. */
const REQUEST_BOUND_MS = TIMEOUTS.requestMs + Math.ceil(TIMEOUTS.requestMs / 4) + SLACK_MS
const HELLO_BOUND_MS = TIMEOUTS.helloMs + SLACK_MS
const DRIP_MS = 100

/** Sends `text` one byte every DRIP_MS until the socket closes or the text runs out. */
function drip(write: (byte: Buffer) => void, text: string, isOpen: () => boolean): void {
  const bytes = Buffer.from(text)
  let i = 0
  const t = setInterval(() => {
    if (!isOpen() || i >= bytes.length) return clearInterval(t)
    write(bytes.subarray(i, ++i))
  }, DRIP_MS)
}

/** The test's own deadline, well past the bound: a server that never closes makes the scenario fail, not hang. */
function giveUpAfter(boundMs: number, stop: () => void): NodeJS.Timeout {
  return setTimeout(stop, boundMs + 5000)
}

/** A WebSocket that answers nothing, or drips a valid hello of device A as continuation frames. */
async function wsDrip(f: Fleet, hello: boolean): Promise<Outcome> {
  const t0 = Date.now()
  const c = await DeviceClient.connect(f.s.url)
  if (hello) {
    const signature = toBase64(nodeSign(f.a.seed, helloMessage(c.nonce, f.a.id)))
    const text = JSON.stringify({ type: 'hello', deviceId: f.a.id, signature, state: { rootVersion: 1, checkpointSize: 0 }, agentVersion: 'drip/1' })
    // Fragments of one text message (fin: false), never the last one: the server sees a hello arriving forever.
    drip((b) => c.ws.send(b, { fin: false, binary: false }), text, () => c.ws.readyState === c.ws.OPEN)
  }
  const stop = giveUpAfter(HELLO_BOUND_MS, () => c.ws.terminate())
  const { code } = await c.closed
  clearTimeout(stop)
  const held = Date.now() - t0
  const sideEffects = held > HELLO_BOUND_MS ? [`held the connection ${held} ms (bound ${HELLO_BOUND_MS} ms)`] : []
  if (f.aConn.ws.readyState !== f.aConn.ws.OPEN) sideEffects.push("device A's own connection was closed")
  return { observed: `close ${code}`, sideEffects }
}

/** A raw HTTP request: `head` sent at once, then `trickle` a byte at a time; the status line the server answered and how long it held the socket. */
async function httpDrip(f: Fleet, head: string, trickle: string): Promise<Outcome> {
  const url = new URL(f.s.url)
  const t0 = Date.now()
  const sock: Socket = connect(Number(url.port), url.hostname)
  let received = ''
  sock.on('data', (d) => (received += d.toString('latin1')))
  sock.on('error', () => undefined)
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()))
  if (head !== '') sock.write(head)
  drip((b) => sock.write(b), trickle, () => !sock.destroyed && sock.writable)
  const stop = giveUpAfter(REQUEST_BOUND_MS, () => sock.destroy())
  await new Promise<void>((resolve) => sock.once('close', () => resolve()))
  clearTimeout(stop)
  const held = Date.now() - t0
  const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? '(no answer)'
  const code = /"code":"([A-Z_]+)"/.exec(received)?.[1] ?? '(no code)'
  return { observed: `${status} ${code}`, sideEffects: held > REQUEST_BOUND_MS ? [`held the connection ${held} ms (bound ${REQUEST_BOUND_MS} ms)`] : [] }
}

export const slowDripScenarios: readonly ClientScenario[] = [
  {
    slug: 'ws-no-hello',
    title: `Agent WebSocket that never answers the challenge (closed within the hello timeout, ${TIMEOUTS.helloMs} ms here)`,
    guarantee: 'A4',
    expect: 'close 4408',
    run: (f) => wsDrip(f, false),
  },
  {
    slug: 'ws-hello-drip',
    title: `Agent WebSocket that sends a valid hello one byte per ${DRIP_MS} ms, as continuation frames that never finish`,
    guarantee: 'A4',
    expect: 'close 4408',
    run: (f) => wsDrip(f, true),
  },
  {
    slug: 'upgrade-headers-drip',
    title: `The WebSocket upgrade request's headers sent one byte per ${DRIP_MS} ms (cut off by the request timeout, ${TIMEOUTS.requestMs} ms here)`,
    guarantee: 'A4',
    expect: '408 SRV_REQUEST_TIMEOUT',
    run: (f) =>
      httpDrip(f, '', `GET /v1/agent HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${toBase64(randomBytes(16))}\r\n\r\n`),
  },
  {
    slug: 'http-body-drip',
    title: `POST /v1/enroll whose body trickles in one byte per ${DRIP_MS} ms (cut off by the request timeout), enrolling nothing`,
    guarantee: 'A4',
    expect: '408 SRV_REQUEST_TIMEOUT',
    async run(f) {
      const body = JSON.stringify({ token: 'A'.repeat(43), publicKey: toBase64(nodePublicKey(new Uint8Array(randomBytes(32)))), hostname: 'dripping' })
      const before = f.s.count('SELECT count(*) AS n FROM devices')
      const head = `POST /v1/enroll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`
      const o = await httpDrip(f, head, body)
      const after = f.s.count('SELECT count(*) AS n FROM devices')
      return after === before ? o : { ...o, sideEffects: [...o.sideEffects, `${after - before} device row(s) created`] }
    },
  },
]
