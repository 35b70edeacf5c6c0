/**
 * One fan-out of the fleet benchmark: a quorum-signed command to every
 * device, timed from bob's (threshold-reaching) signature to status done,
 * with the node's CPU time (summed over its processes) over the same
 * interval.
 */
import { join } from 'node:path'
import { unlockKey } from '@palisade/cli'
import { COMMAND_PAYLOAD_TYPE, dsse, fromBase64, keyId, nodeSign, toBase64 } from '@palisade/protocol'
import { PASSPHRASE } from '../org-setup.js'
import { ok } from '../proc.js'
import type { BenchServer } from './bench-server.js'

/** Longest a fan-out may take before the run fails. */
const DONE_TIMEOUT_MS = 10 * 60_000

/** A watch on one command (close it in every case: the stream keeps the process alive). */
interface DoneWatch {
  until(deadline: number): Promise<void>
  close(): void
}

/**
 * Opens the org's event stream; `until` resolves once command `id` is
 * done. It waits on that stream
 * (GET /v1/orgs/acme/events; the gateway sends at most ~10 "command
 * changed" events a second per command) and, on each, asks for the newest
 * command only (`?limit=1`: one indexed count of its closed deliveries),
 * so the harness does not load the server it measures. A check every
 * second covers a stream that drops.
 */
async function watchDone(s: BenchServer, id: string): Promise<DoneWatch> {
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
  return {
    close: () => abort.abort(),
    until: async (deadline) => {
      for (;;) {
        dirty = false
        const row = (await s.api('/v1/orgs/acme/commands?limit=1')).commands.find((x: { id: string }) => x.id === id)
        if (row?.status === 'done') return
        if (performance.now() > deadline) throw new Error(`command ${id} not done after ${DONE_TIMEOUT_MS / 60_000} minutes: ${JSON.stringify(row)}\n${await stallReport(s, id)}`)
        if (dirty) continue
        await new Promise<void>((r) => {
          const t = setTimeout(r, 1000)
          wake = () => (clearTimeout(t), r())
        })
      }
    },
  }
}

/**
 * One quorum-signed command to every device: ms from bob's signature to
 * status done, and the node's CPU ticks meanwhile. Throws unless all `n`
 * results are stored.
 *
 * @example
 * const { ms, ticks } = await oneCommand(s, 1000)
 */
export async function oneCommand(s: BenchServer, n: number): Promise<{ ms: number; ticks: number }> {
  const bob = await unlockKey(join(s.dir, 'home-bob'), 'bob', PASSPHRASE.PALISADE_PASSPHRASE)
  const c = JSON.parse(await ok(['--json', 'command', 'create', '--targets', 'all', '--script', 'true'], s.org.home('alice')))
  await ok(['command', 'sign', c.id, '--key', 'alice', '--yes'], s.org.home('alice'))
  const shown = await s.api(`/v1/orgs/acme/commands/${c.id}`)
  const sig = nodeSign(bob.seed, dsse.pae(COMMAND_PAYLOAD_TYPE, fromBase64(shown.payload)))
  const watch = await watchDone(s, c.id)
  let ms: number
  let ticks: number
  try {
    const ticks0 = s.cpuTicks()
    const t0 = performance.now()
    await s.api(`/v1/orgs/acme/commands/${c.id}/signatures`, { keyid: keyId(bob.publicKey), sig: toBase64(sig) })
    await watch.until(t0 + DONE_TIMEOUT_MS)
    ms = performance.now() - t0
    ticks = s.cpuTicks() - ticks0
  } finally {
    watch.close()
  }
  const shownDone = await s.api(`/v1/orgs/acme/commands/${c.id}`)
  if (shownDone.results.length !== n) throw new Error(`${shownDone.results.length} results stored, expected ${n}`)
  return { ms, ticks }
}

/**
 * What a stalled fan-out leaves to diagnose it: its deliveries counted by
 * status, and the server's last warnings and errors (its info lines, one
 * per agent connecting, are too many to print).
 */
async function stallReport(s: BenchServer, id: string): Promise<string> {
  let deliveries = 'deliveries: unreadable'
  try {
    const c = (await s.api(`/v1/orgs/acme/commands/${id}`)) as { deliveries?: { status: string }[]; results?: unknown[] }
    const by = new Map<string, number>()
    for (const d of c.deliveries ?? []) by.set(d.status, (by.get(d.status) ?? 0) + 1)
    deliveries = `deliveries by status: ${JSON.stringify(Object.fromEntries(by))}; results stored: ${c.results?.length ?? '?'}`
  } catch (e) {
    deliveries = `deliveries: ${(e as Error).message.slice(0, 200)}`
  }
  const warnings = s.proc.output.split('\n').filter((l) => /"level":(40|50|60)\b/.test(l)).slice(-30)
  return `${deliveries}\nserver warnings and errors (last ${warnings.length}):\n${warnings.map((l) => l.slice(0, 400)).join('\n')}`
}
