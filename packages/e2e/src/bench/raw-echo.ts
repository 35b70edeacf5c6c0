/**
 * The fan-out floor: the same number of WebSocket messages of the same
 * size, sent by server processes to N connections and answered, with no
 * storage and no verification. Run as child processes:
 *
 *     node raw-echo.js server            listens on 127.0.0.1:0; IPC { fanout: text } → { done: ms }
 *     node raw-echo.js client <url,…> <from> <to> <answerBytes> <addr,…>
 *                                        connections from..to-1 (number i to url i mod count), each
 *                                        answers every message; IPC { connected }
 *
 * More connections than one process can hold are spread over several
 * server processes (one port each), as the real node spreads them over its
 * workers. Both roles use the `ws` package with the gateway's settings (no
 * compression, 4 MiB frames), as the server and the simulator do.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'

const send = (m: unknown): void => void process.send?.(m)

function server(): void {
  const http = createServer((_q, r) => r.writeHead(404).end())
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 })
  const conns = new Set<WebSocket>()
  let waiting = 0
  let t0 = 0
  wss.on('connection', (ws) => {
    conns.add(ws)
    ws.on('close', () => conns.delete(ws))
    ws.on('message', () => {
      if (waiting > 0 && --waiting === 0) send({ done: performance.now() - t0 })
    })
  })
  http.listen(0, '127.0.0.1', () => send({ port: (http.address() as AddressInfo).port }))
  process.on('message', (m: { fanout?: string; count?: boolean }) => {
    if (m.count === true) return send({ connections: conns.size })
    if (m.fanout === undefined) return
    waiting = conns.size
    t0 = performance.now()
    for (const ws of conns) ws.send(m.fanout)
  })
  process.on('disconnect', () => process.exit(0))
}

function client(urls: string[], from: number, to: number, answerBytes: number, addrs: string[]): void {
  const answer = JSON.stringify({ type: 'result', envelope: 'x'.repeat(Math.max(0, answerBytes - 40)) })
  let connected = 0
  let next = from
  const open = (): void => {
    if (next >= to) return
    const i = next++
    const ws = new WebSocket(urls[i % urls.length]!, { perMessageDeflate: false, maxPayload: 4 * 1024 * 1024, ...(addrs.length > 0 ? { localAddress: addrs[i % addrs.length]! } : {}) })
    ws.on('open', () => {
      connected++
      open()
    })
    ws.on('message', () => ws.send(answer))
    ws.on('error', () => undefined)
  }
  for (let k = 0; k < 64; k++) open()
  setInterval(() => send({ connected }), 500)
  process.on('disconnect', () => process.exit(0))
}

const [role, ...args] = process.argv.slice(2)
const items = (s: string | undefined): string[] => (s ?? '').split(',').filter((a) => a !== '')
if (role === 'server') server()
else client(items(args[0]), Number(args[1]), Number(args[2]), Number(args[3]), items(args[4]))
