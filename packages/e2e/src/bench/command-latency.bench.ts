/**
 * Command path benchmark (npm run bench), real processes on loopback:
 *   - time from the threshold-reaching signature to all results stored, for
 *     1, 10 and 100 agents (median of 3), against a peer measured in the same
 *     run: spawning the same number of `sh -c true` at once from one process,
 *     the irreducible cost of running N scripts on this machine;
 *   - server RSS with 0 and with 100 connected agents;
 *   - idle RSS and CPU of the agents (`palisade-agent`, and one full-CLI
 *     `palisade agent run`) against a bare Node process started alongside.
 * The machine is noisy: figures are medians and ratios, not single times.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unlockKey } from '@palisade/cli'
import { COMMAND_PAYLOAD_TYPE, dsse, fromBase64, keyId, nodeSign, toBase64 } from '@palisade/protocol'
import { freePort } from '../free-port.js'
import { setupOrg, PASSPHRASE } from '../org-setup.js'
import { ok, Proc, REPO, sleep, until } from '../proc.js'

const SIZES = [1, 10, 100]
const ROUNDS = 3
const AGENT_BIN = `${REPO}packages/agent/dist/bin.js`
const AGENT_FLAGS = ['--max-semi-space-size=1', '--no-opt', '--no-sparkplug'] // as in its shebang

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(f[11]) + Number(f[12]) // utime + stime, in clock ticks (100/s)
}

async function api(url: string, key: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await r.text()
  if (!r.ok) throw new Error(`${path}: ${r.status} ${text}`)
  return JSON.parse(text)
}

/** Spawns n `sh -c true` at once and waits for all: the peer for running n scripts. */
function spawnPeer(n: number): Promise<number> {
  const t0 = performance.now()
  return Promise.all(
    Array.from({ length: n }, () => new Promise<void>((r) => spawn('/bin/sh', ['-c', 'true']).on('exit', () => r()))),
  ).then(() => performance.now() - t0)
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')], { PALISADE_LOG_LEVEL: 'warn' }, 'server')
  const procs: Proc[] = []
  const agents: ReturnType<typeof spawn>[] = []
  try {
    const setupCode = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    const org = await setupOrg(dir, url, setupCode)
    procs.push(org.witness)
    const bob = await unlockKey(join(dir, 'home-bob'), 'bob', PASSPHRASE.PALISADE_PASSPHRASE)
    const maxN = Math.max(...SIZES)
    console.log(`command path bench — node ${process.version}; enrolling ${maxN} agents…`)
    const token = JSON.parse(await ok(['--json', 'token', 'create', '--uses', String(maxN + 1)], org.home('alice'))).token as string
    const ids: string[] = []
    for (let i = 0; i < maxN; i += 5) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(5, maxN - i) }, (_, k) =>
          ok(['--json', 'agent', 'enroll', '--server', url, '--token', token, '--fingerprint', org.fingerprint, '--state-dir', join(dir, `agent${i + k}`)]),
        ),
      )
      ids.push(...batch.map((b) => JSON.parse(b).deviceId as string))
    }
    const serverIdle = rssMiB(server.child.pid!)
    for (let i = 0; i < maxN; i++) {
      agents.push(spawn(process.execPath, [...AGENT_FLAGS, AGENT_BIN, 'run', '--state-dir', join(dir, `agent${i}`)], { stdio: 'ignore' }))
    }
    await until(async () => (await api(url, org.apiKey, '/v1/orgs/acme/devices')).devices.filter((d: any) => d.online).length === maxN, 120_000, 'agents online')

    console.log('\ntime from the threshold-reaching signature to all results stored (median of 3):')
    const latency: Record<number, number> = {}
    for (const n of SIZES) {
      const times: number[] = []
      const peers: number[] = []
      for (let r = 0; r < ROUNDS; r++) {
        const targets = ids.slice(0, n).join(',')
        const c = JSON.parse(await ok(['--json', 'command', 'create', '--targets', targets, '--script', 'true'], org.home('alice')))
        await ok(['command', 'sign', c.id, '--key', 'alice', '--yes'], org.home('alice'))
        const shown = await api(url, org.apiKey, `/v1/orgs/acme/commands/${c.id}`)
        const sig = nodeSign(bob.seed, dsse.pae(COMMAND_PAYLOAD_TYPE, fromBase64(shown.payload)))
        const t0 = performance.now()
        await api(url, org.apiKey, `/v1/orgs/acme/commands/${c.id}/signatures`, { keyid: keyId(bob.publicKey), sig: toBase64(sig) })
        await until(async () => (await api(url, org.apiKey, `/v1/orgs/acme/commands/${c.id}`)).results.length === n, 120_000, `${n} results`)
        times.push(performance.now() - t0)
        peers.push(await spawnPeer(n))
      }
      latency[n] = median(times)
      console.log(`  ${String(n).padStart(3)} agents: ${median(times).toFixed(0)} ms  (peer: ${n} × sh -c true at once ${median(peers).toFixed(0)} ms; ratio ${(median(times) / median(peers)).toFixed(1)}x)`)
    }
    const marginal = (latency[100]! - latency[1]!) / 99
    console.log(`  fixed cost (1 agent) ${latency[1]!.toFixed(0)} ms, marginal ${marginal.toFixed(1)} ms per additional agent`)

    const serverBusy = rssMiB(server.child.pid!)
    console.log(`\nserver RSS: ${serverIdle.toFixed(1)} MiB with 0 agents, ${serverBusy.toFixed(1)} MiB with ${maxN} connected (${(((serverBusy - serverIdle) * 1024) / maxN).toFixed(0)} KiB per agent)`)

    // Idle: one more agent through the full CLI, and a bare Node process, started now.
    await ok(['agent', 'enroll', '--server', url, '--token', token, '--fingerprint', org.fingerprint, '--state-dir', join(dir, `agent${maxN}`)])
    const cliAgent = new Proc(['agent', 'run', '--state-dir', join(dir, `agent${maxN}`)], {}, 'cli-agent')
    procs.push(cliAgent)
    const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' })
    await sleep(20_000)
    const sample = agents.slice(0, 10).map((a) => a.pid!)
    const before = sample.map(cpuTicks)
    const window = 30
    await sleep(window * 1000)
    const cpu = sample.map((p, i) => (cpuTicks(p) - before[i]!) / (window * 100))
    const rss = agents.map((a) => rssMiB(a.pid!))
    console.log(`\nidle agents (after ${window + 20} s idle):`)
    console.log(`  palisade-agent RSS median ${median(rss).toFixed(1)} MiB (min ${Math.min(...rss).toFixed(1)}, max ${Math.max(...rss).toFixed(1)}) over ${rss.length} agents`)
    console.log(`  palisade-agent CPU median ${(median(cpu) * 100).toFixed(3)} % of a core over ${window} s (10 agents sampled)`)
    console.log(`  palisade agent run (full CLI) RSS ${rssMiB(cliAgent.child.pid!).toFixed(1)} MiB`)
    console.log(`  peer: bare node RSS ${rssMiB(bare.pid!).toFixed(1)} MiB; palisade-agent/bare = ${(median(rss) / rssMiB(bare.pid!)).toFixed(2)}`)
    bare.kill()
  } finally {
    for (const a of agents) a.kill('SIGTERM')
    await Promise.all([...procs.map((p) => p.stop()), server.stop()])
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
