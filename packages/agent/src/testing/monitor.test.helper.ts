/**
 * A monitor for the agent's tests: a real HTTP listener on 127.0.0.1 that
 * takes `POST /palisade/v1/reports` (docs/WIRE.md "Monitors") and records
 * each body after checking its shape, or answers 503 while `down`.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface MonitorReport {
  readonly origin: string
  readonly deviceId: string
  readonly envelope: string
  readonly contentType: string | undefined
}

export class TestMonitor {
  readonly reports: MonitorReport[] = []
  /** Requests seen, accepted or not. */
  requests = 0
  /** While true, every request gets 503. */
  down = false
  readonly #server: Server
  #waiters: { pred: (r: MonitorReport) => boolean; resolve: (r: MonitorReport) => void }[] = []

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        this.requests++
        if (this.down) return void res.writeHead(503).end()
        if (req.method !== 'POST' || req.url !== '/palisade/v1/reports') return void res.writeHead(404).end()
        let body: Record<string, unknown>
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
        } catch {
          return void res.writeHead(400).end()
        }
        const keys = Object.keys(body).sort().join(',')
        if (keys !== 'deviceId,envelope,origin' || typeof body['envelope'] !== 'string') return void res.writeHead(400).end()
        const r: MonitorReport = {
          origin: String(body['origin']),
          deviceId: String(body['deviceId']),
          envelope: body['envelope'],
          contentType: req.headers['content-type'],
        }
        this.reports.push(r)
        for (const w of [...this.#waiters]) {
          if (w.pred(r)) {
            this.#waiters = this.#waiters.filter((x) => x !== w)
            w.resolve(r)
          }
        }
        res.writeHead(202, { 'content-type': 'application/json' }).end('{}')
      })
    })
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    return this
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** Resolves with the first report (past or future) that matches. */
  waitFor(pred: (r: MonitorReport) => boolean, timeoutMs = 10_000): Promise<MonitorReport> {
    const past = this.reports.find(pred)
    if (past !== undefined) return Promise.resolve(past)
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (r: MonitorReport) => (clearTimeout(t), resolve(r)) }
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w)
        reject(new Error(`timed out waiting for a monitor report; got ${this.reports.length} (${this.requests} requests)`))
      }, timeoutMs)
      this.#waiters.push(w)
    })
  }
}
