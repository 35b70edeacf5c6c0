/**
 * The network half of the fan-out floor (raw-echo.ts): `n` WebSocket
 * connections from the simulator's number of client processes to as many
 * echo-server processes as `n` needs here, one frame of the delivery's size
 * to each, and `n` answers of a result's size. Median of `runs`; one run's
 * time is the slowest server's, from its send to its last answer.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { perProcess, simWorkersFor, sourceAddressesFor } from './capacity.js'
import { median, sleep } from './proc-stats.js'

const RAW_ECHO = fileURLToPath(new URL('./raw-echo.js', import.meta.url))
const CONNECT_TIMEOUT_MS = 5 * 60_000

/**
 * Milliseconds for one raw fan-out to `n` connections (median of `runs`).
 *
 * @example
 * const ms = await rawFloor(10_000, deliveryFrame, 1100, 3)
 */
export async function rawFloor(n: number, frame: string, answerBytes: number, runs: number): Promise<number> {
  const children: ChildProcess[] = []
  const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null
  try {
    const servers: ChildProcess[] = []
    const ports: number[] = []
    for (let k = 0; k < Math.ceil(n / perProcess()); k++) {
      const server = fork(RAW_ECHO, ['server'], { stdio: 'inherit' })
      children.push(server)
      servers.push(server)
      ports.push(await new Promise<number>((r) => server.once('message', (m: { port: number }) => r(m.port))))
    }
    const urls = ports.map((p) => `ws://127.0.0.1:${p}`).join(',')
    const addrs = sourceAddressesFor(n).join(',')
    const clients = simWorkersFor(n)
    const connected: number[] = []
    for (let w = 0; w < clients; w++) {
      const from = Math.floor((n * w) / clients)
      const to = Math.floor((n * (w + 1)) / clients)
      const c = fork(RAW_ECHO, ['client', urls, String(from), String(to), String(answerBytes), addrs], { stdio: 'inherit' })
      connected.push(0)
      c.on('message', (m: { connected: number }) => (connected[w] = m.connected))
      children.push(c)
    }
    for (const t0 = Date.now(); connected.reduce((a, b) => a + b, 0) < n; await sleep(200)) {
      if (Date.now() - t0 > CONNECT_TIMEOUT_MS || children.some(exited)) {
        throw new Error(`raw floor: ${connected.reduce((a, b) => a + b, 0)} of ${n} connections after ${((Date.now() - t0) / 1000).toFixed(0)} s`)
      }
    }
    const times: number[] = []
    for (let r = 0; r < runs; r++) {
      const done = servers.map((s) => new Promise<number>((res) => s.once('message', (m: { done: number }) => res(m.done))))
      for (const s of servers) s.send({ fanout: frame })
      times.push(Math.max(...(await Promise.all(done))))
      await sleep(500)
    }
    return median(times)
  } finally {
    for (const c of children) c.kill()
  }
}
