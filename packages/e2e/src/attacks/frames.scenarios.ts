/**
 * Robustness (and G6 for what becomes a delivery): a breached server can
 * send any bytes. Frames that are not deliveries are dropped (and logged
 * locally) without a report; deliveries that do not parse are refused with
 * AGENT_MALFORMED_DELIVERY, kept and reported; frames beyond 4 MiB, binary
 * frames and a bad handshake end the connection. In every case nothing
 * runs and the agent comes back to serve the next delivery.
 */
import { randomBytes } from 'node:crypto'
import { formatDelivery, toBase64 } from '@palisade/protocol'
import { MAX_FRAME_BYTES } from './rogue-gateway.js'
import { rejectionRecord } from './run-scenario.js'
import type { Scenario } from './scenario.js'
import type { World } from './world.js'

const approved = (w: World, id: string): Promise<string> => w.a.signCommand(w.cmd(id), w.quorum)

/** The number of the connection opened last. */
function lastConnection(w: World): number {
  let n = 0
  for (const e of w.gw.events) if (e.type === 'connect') n = e.conn
  return n
}

/** Waits until the agent closed connection `conn` with `code`, then authenticated on a new one. */
async function closedAndBack(w: World, conn: number, code: number): Promise<void> {
  const since = w.gw.events.findIndex((e) => e.type === 'connect' && e.conn === conn)
  const e = await w.gw.waitFor((e) => e.type === 'closed' && e.conn === conn, 10_000, since)
  if (e.type === 'closed' && e.code !== code) throw new Error(`connection #${conn} closed with ${e.code}, expected ${code}`)
  await w.reconnected(w.gw.events.indexOf(e))
}

const BURST = 64

export const frameScenarios: readonly Scenario[] = [
  {
    slug: 'frame-not-json',
    title: 'Malformed frames: truncated JSON, bare text',
    guarantee: 'G1 (robustness)',
    expect: null,
    async attack(w, id) {
      await w.gw.sendRaw(`{"type":"delivery","commandId":"${id}","delivery":{`)
      await w.gw.sendRaw('run everything')
    },
  },
  {
    slug: 'frame-wrong-types',
    title: 'Malformed frames: JSON that is not an object (array, number, string, null)',
    guarantee: 'G1 (robustness)',
    expect: null,
    async attack(w) {
      for (const f of [[1, 2, 3], 42, 'delivery', null]) await w.gw.send(f)
    },
  },
  {
    slug: 'frame-unknown-types',
    title: 'Frames of unknown or out-of-place types ("run" with a script, a second challenge, a second welcome, a bad ack)',
    guarantee: 'G1 (robustness)',
    expect: null,
    async attack(w, id) {
      await w.gw.send({ type: 'run', commandId: id, script: w.script(id), interpreter: 'sh' })
      await w.gw.send({ type: 'challenge', nonce: toBase64(randomBytes(32)) })
      await w.gw.send({ type: 'welcome' })
      await w.gw.send({ type: 'ack', commandId: 42 })
      await w.gw.send({ type: 'ack', commandId: 'x-never-sent' })
    },
  },
  {
    slug: 'delivery-wrong-types',
    title: 'Delivery with fields of the wrong types',
    guarantee: 'G6',
    expect: 'AGENT_MALFORMED_DELIVERY',
    attack: (w, id) =>
      w.deliverRaw(id, { envelope: 42, leafIndex: '0', inclusionProof: 'none', checkpoint: [], consistencyProof: {}, rootUpdates: 7 }),
  },
  {
    slug: 'delivery-null',
    title: 'Delivery frame whose delivery is null',
    guarantee: 'G6',
    expect: 'AGENT_MALFORMED_DELIVERY',
    attack: (w, id) => w.deliverRaw(id, null),
  },
  {
    slug: 'delivery-proto-keys',
    title: 'Delivery with "__proto__" and "constructor" members (prototype pollution attempt)',
    guarantee: 'G6',
    expect: 'AGENT_MALFORMED_DELIVERY',
    async attack(w, id) {
      const d = JSON.stringify(formatDelivery(await w.logged(await approved(w, id))))
      const poisoned = `{"__proto__":{"leafIndex":0,"polluted":true},"constructor":{"prototype":{"polluted":true}},${d.slice(1)}`
      await w.gw.sendRaw(`{"type":"delivery","commandId":"${id}","delivery":${poisoned}}`)
    },
  },
  {
    slug: 'huge-proof',
    title: 'Endless data: an approved, logged command with an inclusion proof of 80,000 hashes (3.8 MB frame)',
    guarantee: 'G6',
    expect: 'AGENT_MALFORMED_DELIVERY',
    async attack(w, id) {
      const d = formatDelivery(await w.logged(await approved(w, id)))
      const pad = toBase64(new Uint8Array(32))
      const proof = [...(d['inclusionProof'] as string[]), ...Array.from({ length: 80_000 }, () => pad)]
      await w.deliverRaw(id, { ...d, inclusionProof: proof })
    },
  },
  {
    slug: 'huge-envelope',
    title: 'Endless data: a 1.5 MiB envelope string in a delivery',
    guarantee: 'G6',
    expect: 'AGENT_MALFORMED_DELIVERY',
    async attack(w, id) {
      const d = formatDelivery(await w.logged(await approved(w, id)))
      await w.deliverRaw(id, { ...d, envelope: 'A'.repeat(1.5 * 1024 * 1024) })
    },
  },
  {
    slug: 'deep-nesting',
    title: 'A delivery nested 1,000,000 arrays deep (2 MB of brackets)',
    guarantee: 'G6',
    expect: 'AGENT_MALFORMED_DELIVERY',
    attack: (w, id) => w.gw.sendRaw(`{"type":"delivery","commandId":"${id}","delivery":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`),
  },
  {
    slug: 'burst',
    title: `A burst of ${BURST} malformed deliveries: each one kept and reported`,
    guarantee: 'G6',
    expect: 'AGENT_MALFORMED_DELIVERY',
    async attack(w, id) {
      for (let i = 1; i < BURST; i++) await w.deliverRaw(`${id}-${i}`, { leafIndex: -i })
      await w.deliverRaw(id, { leafIndex: -BURST })
    },
    check(w, id) {
      const reported = new Set(w.gw.events.flatMap((e) => (e.type === 'report' && e.report.verified && e.report.commandId?.startsWith(id) ? [e.report.commandId] : [])))
      if (reported.size !== BURST) return `${reported.size} of ${BURST} rejections reached the gateway`
      for (let i = 1; i < BURST; i++) if (rejectionRecord(w, `${id}-${i}`)?.code !== 'AGENT_MALFORMED_DELIVERY') return `rejection ${i} is not in the local log`
      return null
    },
  },
  {
    slug: 'handshake-skipped',
    title: 'Handshake abuse: welcome and a valid delivery sent without a challenge (no device authentication)',
    guarantee: 'G1 (robustness)',
    expect: null,
    async attack(w, id) {
      const d = formatDelivery(await w.logged(await approved(w, id)))
      w.gw.hijackNextHandshake((ws) => {
        ws.send(JSON.stringify({ type: 'welcome' }))
        ws.send(JSON.stringify({ type: 'delivery', commandId: id, delivery: d }))
      })
      const since = w.gw.events.length
      w.gw.drop()
      const hijacked = await w.gw.waitFor((e) => e.type === 'connect', 10_000, since)
      await closedAndBack(w, hijacked.type === 'connect' ? hijacked.conn : 0, 1002)
    },
  },
  {
    slug: 'oversize-frame',
    title: 'Endless data: a frame one byte over 4 MiB',
    guarantee: 'G1 (robustness)',
    expect: null,
    async attack(w, id) {
      const conn = lastConnection(w)
      const head = `{"type":"delivery","commandId":"${id}","delivery":"`
      await w.gw.sendRaw(`${head}${'A'.repeat(MAX_FRAME_BYTES + 1 - head.length - 2)}"}`)
      await closedAndBack(w, conn, 1009)
    },
  },
  {
    slug: 'binary-frame',
    title: 'A binary frame (the protocol is JSON text frames only)',
    guarantee: 'G1 (robustness)',
    expect: null,
    async attack(w, id) {
      const conn = lastConnection(w)
      await w.gw.sendRaw(Buffer.from(JSON.stringify({ type: 'delivery', commandId: id, delivery: {} })), true)
      await closedAndBack(w, conn, 1003)
    },
  },
]
