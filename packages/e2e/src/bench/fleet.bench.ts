/**
 * Fleet benchmark (issue #7; `npm run bench`), real processes on loopback,
 * simulated agents (@palisade/sim: real keys, enrollment, protocol and
 * verification; scripts not executed):
 *
 *   a. held agents: server RSS and CPU with 1k, 5k, 10k and ~19k connected
 *      idle agents (the open-file limit of one process here is 20,000);
 *   b. fan-out: from the threshold-reaching signature to every result
 *      stored, for 1k and 10k agents, on SQLite and on PostgreSQL, against
 *      the floor measured in the same run: the same number of raw WebSocket
 *      messages of the same size sent by one process and answered (no
 *      storage, no verification), plus the same verifications in a tight
 *      loop; and server CPU time per delivered command;
 *   c. inventory query: "every device with openssl below 3.0.14" over N
 *      devices' reported packages, through GET /v1/orgs/:org/devices
 *      ?package=&below= (real HTTP, SQLite), p50/p99.
 *
 * Environment: PALISADE_BENCH_HELD (default 1000,5000,10000,19000),
 * PALISADE_BENCH_FANOUT (1000,10000), PALISADE_BENCH_RUNS (3),
 * PALISADE_BENCH_DBS (sqlite,postgres; postgres is skipped when not
 * reachable), PALISADE_BENCH_WINDOW (CPU window, seconds, 30),
 * PALISADE_BENCH_INVENTORY (devices, 10000; empty skips),
 * PALISADE_BENCH_QUERIES (inventory queries timed, 500),
 * PALISADE_BENCH_CPU_PROF (a directory: the server writes a CPU profile there).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { unlockKey } from '@palisade/cli'
import { COMMAND_PAYLOAD_TYPE, dsse, fromBase64, keyId, nodeSign, toBase64 } from '@palisade/protocol'
import { runSimulator, type SimCounters } from '@palisade/sim'
import { PASSPHRASE } from '../org-setup.js'
import { ok } from '../proc.js'
import { BenchServer, postgresReachable } from './bench-server.js'
import { cpuTicks, machine, median, rssBytes, sleep, TICKS_PER_SECOND } from './proc-stats.js'
import { verifyFloor } from './verify-loop.js'

const list = (name: string, fallback: string): number[] => (process.env[name] ?? fallback).split(',').filter((s) => s !== '').map(Number)
const HELD = list('PALISADE_BENCH_HELD', '1000,5000,10000,19000')
const FANOUT = list('PALISADE_BENCH_FANOUT', '1000,10000')
const RUNS = Number(process.env['PALISADE_BENCH_RUNS'] ?? 3)
const WINDOW_S = Number(process.env['PALISADE_BENCH_WINDOW'] ?? 30)
const INVENTORY = list('PALISADE_BENCH_INVENTORY', '10000')
const QUERIES = Number(process.env['PALISADE_BENCH_QUERIES'] ?? 500)
const DBS = (process.env['PALISADE_BENCH_DBS'] ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[]
/** Spread over several source addresses: one gives ~28k ports, and TIME_WAIT of earlier runs eats into them. */
const SOURCE_ADDRESSES = '127.0.0.2-127.0.0.9'
const WORKERS = 2
const RAW_ECHO = fileURLToPath(new URL('./raw-echo.js', import.meta.url))

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`

/** A running simulator and its latest counters. */
interface Fleet {
  counters: SimCounters | undefined
  stop(): Promise<SimCounters>
}

async function startFleet(s: BenchServer, agents: number, tokens: string[], stateDir: string): Promise<Fleet> {
  const abort = new AbortController()
  const fleet: Fleet = { counters: undefined, stop: async () => (abort.abort(), done) }
  const done = runSimulator({
    server: s.url, tokens, fingerprint: s.org.fingerprint, agents, workers: WORKERS, sourceAddresses: SOURCE_ADDRESSES,
    rampRate: 1000, stateDir, statusIntervalMs: 500, signal: abort.signal, onStatus: (c) => (fleet.counters = c),
    onNote: (line) => console.error(`  sim: ${line}`),
  })
  done.catch(() => undefined)
  const t0 = Date.now()
  while ((fleet.counters?.connected ?? 0) < agents) {
    if (Date.now() - t0 > 15 * 60_000) throw new Error(`only ${fleet.counters?.connected} of ${agents} agents connected`)
    await Promise.race([sleep(500), done])
  }
  return fleet
}

async function heldAgents(): Promise<void> {
  console.log(`\n## a. held agents (SQLite; idle, server pings every 30 s; CPU over ${WINDOW_S} s)\n`)
  const s = await BenchServer.start('sqlite')
  const stateDir = mkdtempSync(join(tmpdir(), 'palisade-sim-state-'))
  try {
    const tokens = await s.tokens(Math.max(...HELD))
    console.log('| agents | server RSS idle | server RSS held | per agent | server CPU | sim RSS (2 workers) | sim per agent |')
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    const simRss: Record<number, number> = {}
    for (const n of HELD) {
      await s.restart()
      await sleep(5000)
      const idle = rssBytes(s.pid)
      const fleet = await startFleet(s, n, tokens, stateDir)
      await sleep(10_000)
      const t0 = cpuTicks(s.pid)
      await sleep(WINDOW_S * 1000)
      const cpu = (cpuTicks(s.pid) - t0) / (WINDOW_S * TICKS_PER_SECOND)
      const held = rssBytes(s.pid)
      simRss[n] = fleet.counters!.rssBytes - process.memoryUsage().rss
      await fleet.stop()
      console.log(
        `| ${n} | ${mib(idle)} | ${mib(held)} | ${kib((held - idle) / n)} | ${(cpu * 100).toFixed(1)} % | ${mib(simRss[n])} | ${kib(simRss[n] / n)} |`,
      )
    }
    if (HELD.length > 1) {
      const [a, b] = [Math.min(...HELD), Math.max(...HELD)]
      console.log(`\nsimulator, marginal: ${kib((simRss[b]! - simRss[a]!) / (b - a))} per agent from ${a} to ${b} agents`)
    }
  } finally {
    await s.stop()
    rmSync(stateDir, { recursive: true, force: true })
  }
}

/**
 * Opens the org's event stream; the function it returns resolves once
 * command `id` is done. It waits on that stream
 * (GET /v1/orgs/acme/events; the gateway sends at most ~10 "command
 * changed" events a second per command) and, on each, asks for the newest
 * command only (`?limit=1`: one indexed count of its closed deliveries),
 * so the harness does not load the server it measures. A check every
 * second covers a stream that drops.
 */
async function watchDone(s: BenchServer, id: string): Promise<(deadline: number) => Promise<void>> {
  const abort = new AbortController()
  let dirty = false
  let wake: () => void = () => {}
  const stream = await fetch(`${s.url}/v1/orgs/acme/events`, { headers: { authorization: `Bearer ${s.org.apiKey}` }, signal: abort.signal })
  if (!stream.ok || stream.body === null) throw new Error(`events stream: ${stream.status}`)
  const reader = stream.body.pipeThrough(new TextDecoderStream()).getReader()
  void (async () => {
    let buf = ''
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
      if (done) return
      buf += value
      let end: number
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, end)
        buf = buf.slice(end + 2)
        if (event.includes('event: command') && event.includes(JSON.stringify(id))) {
          dirty = true
          wake()
        }
      }
    }
  })()
  return async (deadline) => {
    try {
      for (;;) {
        dirty = false
        const row = (await s.api('/v1/orgs/acme/commands?limit=1')).commands.find((x: { id: string }) => x.id === id)
        if (row?.status === 'done') return
        if (performance.now() > deadline) throw new Error(`command ${id} not done after 10 minutes: ${JSON.stringify(row)}`)
        if (dirty) continue
        await new Promise<void>((r) => {
          const t = setTimeout(r, 1000)
          wake = () => (clearTimeout(t), r())
        })
      }
    } finally {
      abort.abort()
    }
  }
}

/** One quorum-signed command to every device; ms from bob's (threshold-reaching) signature to status done, and server CPU ticks. */
async function oneCommand(s: BenchServer, n: number): Promise<{ ms: number; ticks: number }> {
  const bob = await unlockKey(join(s.dir, 'home-bob'), 'bob', PASSPHRASE.PALISADE_PASSPHRASE)
  const c = JSON.parse(await ok(['--json', 'command', 'create', '--targets', 'all', '--script', 'true'], s.org.home('alice')))
  await ok(['command', 'sign', c.id, '--key', 'alice', '--yes'], s.org.home('alice'))
  const shown = await s.api(`/v1/orgs/acme/commands/${c.id}`)
  const sig = nodeSign(bob.seed, dsse.pae(COMMAND_PAYLOAD_TYPE, fromBase64(shown.payload)))
  const waitDone = await watchDone(s, c.id)
  const ticks0 = cpuTicks(s.pid)
  const t0 = performance.now()
  await s.api(`/v1/orgs/acme/commands/${c.id}/signatures`, { keyid: keyId(bob.publicKey), sig: toBase64(sig) })
  await waitDone(t0 + 600_000)
  const ms = performance.now() - t0
  const ticks = cpuTicks(s.pid) - ticks0
  const shownDone = await s.api(`/v1/orgs/acme/commands/${c.id}`)
  if (shownDone.results.length !== n) throw new Error(`${shownDone.results.length} results stored, expected ${n}`)
  return { ms, ticks }
}

async function rawFloor(n: number, frame: string, answerBytes: number): Promise<number> {
  const children: ChildProcess[] = []
  try {
    const server = fork(RAW_ECHO, ['server'], { stdio: 'inherit' })
    children.push(server)
    const port = await new Promise<number>((r) => server.once('message', (m: { port: number }) => r(m.port)))
    const connected: number[] = []
    for (let w = 0; w < WORKERS; w++) {
      const from = Math.floor((n * w) / WORKERS)
      const to = Math.floor((n * (w + 1)) / WORKERS)
      const addrs = Array.from({ length: 8 }, (_, i) => `127.0.0.${2 + i}`).join(',')
      const c = fork(RAW_ECHO, ['client', `ws://127.0.0.1:${port}`, String(from), String(to), String(answerBytes), addrs], { stdio: 'inherit' })
      connected.push(0)
      c.on('message', (m: { connected: number }) => (connected[w] = m.connected))
      children.push(c)
    }
    while (connected.reduce((a, b) => a + b, 0) < n) await sleep(200)
    const times: number[] = []
    for (let r = 0; r < RUNS; r++) {
      server.send({ fanout: frame })
      times.push(await new Promise<number>((res) => server.once('message', (m: { done: number }) => res(m.done))))
      await sleep(500)
    }
    return median(times)
  } finally {
    for (const c of children) c.kill()
  }
}

async function fanOut(): Promise<void> {
  console.log(`\n## b. fan-out: threshold-reaching signature → every result stored (median of ${RUNS})\n`)
  const floors = new Map<number, { raw: number; verify: number; verifyOnly: number }>()
  for (const n of FANOUT) {
    const v = await verifyFloor(n)
    // a result frame of a simulated agent is about 1 KB
    const raw = await rawFloor(n, v.frame, 1100)
    floors.set(n, { raw, verify: v.ms, verifyOnly: v.verifyMs })
  }
  console.log('| db | agents | fan-out | runs | floor: raw ws | floor: verify+sign loop | floor total | ratio | server CPU per delivered command | sim verified |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const db of DBS) {
    if (db === 'postgres' && !postgresReachable()) {
      console.log(`| postgres | – | not reachable at 127.0.0.1:5432: skipped | | | | | | | |`)
      continue
    }
    for (const n of FANOUT) {
      const s = await BenchServer.start(db)
      const stateDir = mkdtempSync(join(tmpdir(), 'palisade-sim-state-'))
      try {
        const fleet = await startFleet(s, n, await s.tokens(n), stateDir)
        await sleep(3000)
        const runs: { ms: number; ticks: number }[] = []
        for (let r = 0; r < RUNS; r++) runs.push(await oneCommand(s, n))
        const c = await fleet.stop()
        const ms = median(runs.map((x) => x.ms))
        const cpuMs = (median(runs.map((x) => x.ticks)) * 1000) / TICKS_PER_SECOND
        const f = floors.get(n)!
        const floor = f.raw + f.verify
        console.log(
          `| ${db} | ${n} | ${ms.toFixed(0)} ms | ${runs.map((x) => x.ms.toFixed(0)).join(' / ')} | ${f.raw.toFixed(0)} ms | ${f.verify.toFixed(0)} ms (verify alone ${f.verifyOnly.toFixed(0)}) | ${floor.toFixed(0)} ms | ${(ms / floor).toFixed(2)} | ${(cpuMs / n).toFixed(3)} ms | ${c.verified}/${n * RUNS} |`,
        )
      } finally {
        await s.stop()
        rmSync(stateDir, { recursive: true, force: true })
      }
    }
  }
}

async function inventoryQuery(): Promise<void> {
  console.log(`\n## c. inventory query: devices with openssl below 3.0.14 (SQLite, HTTP, ${QUERIES} queries after 20 warm-up)\n`)
  console.log('| devices | matching | p50 | p99 | max |')
  console.log('| ---: | ---: | ---: | ---: | ---: |')
  for (const n of INVENTORY) {
    const s = await BenchServer.start('sqlite')
    const stateDir = mkdtempSync(join(tmpdir(), 'palisade-sim-state-'))
    try {
      const fleet = await startFleet(s, n, await s.tokens(n), stateDir)
      // Every simulated device reports dpkg: wait until every inventory is stored.
      for (let t0 = Date.now(); (await s.api('/v1/orgs/acme/devices?package=dpkg')).devices.length < n; ) {
        if (Date.now() - t0 > 120_000) throw new Error('inventories not stored after 2 minutes')
        await sleep(1000)
      }
      await fleet.stop()
      const path = '/v1/orgs/acme/devices?package=openssl&below=3.0.14'
      let matching = 0
      for (let i = 0; i < 20; i++) matching = (await s.api(path)).devices.length
      const times: number[] = []
      for (let i = 0; i < QUERIES; i++) {
        const t = performance.now()
        await s.api(path)
        times.push(performance.now() - t)
      }
      times.sort((a, b) => a - b)
      const at = (p: number): string => `${times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1)} ms`
      console.log(`| ${n} | ${matching} | ${at(0.5)} | ${at(0.99)} | ${times[times.length - 1]!.toFixed(1)} ms |`)
    } finally {
      await s.stop()
      rmSync(stateDir, { recursive: true, force: true })
    }
  }
}

console.log(`# fleet benchmark — ${machine()}`)
console.log('simulated agents: scripts are NOT executed; every delivery is verified for real and answered with a signed no-op result')
if (HELD.length > 0) await heldAgents()
if (FANOUT.length > 0) await fanOut()
if (INVENTORY.length > 0) await inventoryQuery()
