/**
 * `palisade monitor --listen`: the monitor as a report endpoint, with the
 * witness's wire (docs/WIRE.md, "Witness"), so an org root can name it
 * among its monitors and agents send their rejections straight to the org:
 *
 *     POST /palisade/v1/reports  { origin, deviceId, envelope } → 202 { seq }
 *     GET  /healthz              ok
 *
 * Guarantees: bodies over 64 KiB are refused (413) without being read
 * further; every other malformed body is 400 naming the field; a report
 * for another log than the org's is 404; per client address at most
 * `burst` reports at once and `perSecond` on average (429), with bounded
 * memory; a request that trickles is cut after 10 s. An accepted report is
 * handed to `onReport` (which checks the device signature and prints it);
 * `seq` numbers the reports this process accepted.
 *
 * Trusts: nothing in a request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CliError } from '../errors.js'
import { parseReportBody, REPORT_BODY_LIMIT, ReportError, type OpenedReport } from './report-event.js'

/** Settings of the listener. */
export interface ListenerOptions {
  /** `host:port`; port 0 picks one. */
  readonly listen: string
  /** The org log origin reports must name. */
  readonly origin: () => string | undefined
  readonly onReport: (report: OpenedReport, source: string, seq: number) => void
  readonly burst?: number
  readonly perSecond?: number
}

/** A running listener. */
export interface ReportListener {
  readonly url: string
  close(): Promise<void>
}

const MAX_ADDRESSES = 10_000

/**
 * Starts listening; CLI_ARG_INVALID for a bad or busy address.
 *
 * @example
 * const l = await startReportListener({ listen: '127.0.0.1:8090', origin: () => 'palisade/acme', onReport })
 */
export async function startReportListener(o: ListenerOptions): Promise<ReportListener> {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(o.listen)
  if (m === null || Number(m[3]) > 65535) throw new CliError('CLI_ARG_INVALID', `invalid --listen ${JSON.stringify(o.listen.slice(0, 80))}: use host:port, e.g. 127.0.0.1:8090`)
  const host = (m[1] ?? m[2])!
  const burst = o.burst ?? 20
  const perSecond = o.perSecond ?? 2
  const buckets = new Map<string, { tokens: number; at: number }>()
  const take = (ip: string): boolean => {
    const now = Date.now()
    let b = buckets.get(ip)
    if (b === undefined) {
      if (buckets.size >= MAX_ADDRESSES) buckets.delete(buckets.keys().next().value!)
      b = { tokens: burst, at: now }
    } else {
      buckets.delete(ip) // re-inserted: the Map's order is recency
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond)
      b.at = now
    }
    buckets.set(ip, b)
    if (b.tokens < 1) return false
    b.tokens--
    return true
  }
  let seq = 0

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => send(res, 500, 'internal error'))
  })
  server.requestTimeout = 10_000
  server.headersTimeout = 10_000

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?', 1)[0]
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, 'ok')
    if (path !== '/palisade/v1/reports') return send(res, 404, 'not found')
    if (req.method !== 'POST') return send(res, 405, 'POST only')
    const ip = req.socket.remoteAddress ?? '?'
    if (!take(ip)) {
      res.setHeader('retry-after', '10')
      return send(res, 429, 'MON_RATE_LIMITED: too many reports from this address; retry later')
    }
    const body = await readBody(req)
    if (body === undefined) {
      res.setHeader('connection', 'close')
      return send(res, 413, `MON_BODY_TOO_LARGE: the body exceeds ${REPORT_BODY_LIMIT} bytes`)
    }
    let report
    try {
      report = parseReportBody(body)
    } catch (e) {
      if (e instanceof ReportError) return send(res, 400, `MON_REPORT_INVALID: ${e.message}`)
      throw e
    }
    if (report.origin !== o.origin()) return send(res, 404, `MON_LOG_UNKNOWN: this monitor follows ${JSON.stringify(o.origin() ?? '(not known yet)')}`)
    seq++
    o.onReport(report.opened, ip, seq)
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ seq }))
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new CliError('CLI_ARG_INVALID', `cannot listen on ${o.listen}: ${(e as Error).message}`, { cause: e })))
    server.listen(Number(m[3]), host, () => resolve())
  })
  const addr = server.address() as AddressInfo
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function send(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.end()
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text.replace(/[\u0000-\u001f]/g, ' ').slice(0, 600) + '\n')
}

/** The body, or undefined once it passes the limit (the rest is not read). */
function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > REPORT_BODY_LIMIT) return resolve(undefined)
    const chunks: Buffer[] = []
    let n = 0
    req.on('data', (c: Buffer) => {
      n += c.length
      if (n > REPORT_BODY_LIMIT) {
        req.removeAllListeners('data')
        req.pause()
        resolve(undefined)
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
    req.on('error', reject)
  })
}
