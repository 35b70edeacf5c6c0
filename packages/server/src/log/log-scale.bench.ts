/**
 * Log benchmark (issue #7, part d; `npm run bench` in this package, or
 * `node packages/server/dist/log/log-scale.bench.js`): the org log grown to
 * a million entries, in-process (OrgLog on a migrated SQLite file,
 * synchronous=FULL, with a real HTTP witness on 127.0.0.1 that checks every
 * consistency proof and cosigns), since a million signed commands through
 * the HTTP API would take hours of quorum signing.
 *
 * Measures, per slice of the run: appends/s sustained (batches of
 * PALISADE_BENCH_LOG_BATCH entries per transaction, a witness-cosigned
 * checkpoint published every PALISADE_BENCH_LOG_PUBLISH entries, all of it
 * in the timed window) and the publish latency at that size; then, at the
 * final size, inclusion-proof serving latency p50/p99 through the real
 * route (GET /v1/orgs/:org/log/proof/inclusion, Fastify inject: routing,
 * validation and serialisation, no socket) for random indexes, cold (each
 * proof computed; the app's log instance starts from an empty cache and
 * loads the leaf hashes once, measured separately). The whole run is
 * repeated PALISADE_BENCH_LOG_RUNS times from an empty database and every
 * figure is the median over the runs (each run's value shown beside it).
 *
 * Environment (checked before anything starts): PALISADE_BENCH_LOG_ENTRIES
 * (default 1000000; about a minute per run on 2 busy cores),
 * PALISADE_BENCH_LOG_BATCH (1000), PALISADE_BENCH_LOG_PUBLISH (10000, a
 * multiple of the batch), PALISADE_BENCH_LOG_PROOFS (2000),
 * PALISADE_BENCH_LOG_RUNS (3).
 */
import { cpus, loadavg, totalmem } from 'node:os'
import { merkle, utf8 } from '@palisade/protocol'
import { createTestApp } from '../fixtures.test.helper.js'
import { setupOrg } from '../setup/test-org.test.helper.js'
import { startWitnesses } from '../witness-client/test-witness.test.helper.js'
import { OrgLog } from './org-log.js'

/** An integer setting within [min, max]; a bad value stops the benchmark before it starts, naming the variable. */
function intEnv(name: string, fallback: number, min: number, max: number): number {
  const v = process.env[name]?.trim()
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
    console.error(`log benchmark: ${name}=${JSON.stringify(v)}: expected an integer from ${min} to ${max}`)
    process.exit(2)
  }
  return n
}

const N = intEnv('PALISADE_BENCH_LOG_ENTRIES', 1_000_000, 2, 100_000_000)
const BATCH = intEnv('PALISADE_BENCH_LOG_BATCH', 1000, 1, 100_000)
const PUBLISH_EVERY = intEnv('PALISADE_BENCH_LOG_PUBLISH', 10_000, 1, 100_000_000)
const PROOFS = intEnv('PALISADE_BENCH_LOG_PROOFS', 2000, 1, 1_000_000)
const RUNS = intEnv('PALISADE_BENCH_LOG_RUNS', 3, 1, 99)
if (PUBLISH_EVERY % BATCH !== 0) {
  console.error(`log benchmark: PALISADE_BENCH_LOG_PUBLISH=${PUBLISH_EVERY} must be a multiple of PALISADE_BENCH_LOG_BATCH=${BATCH} (a checkpoint is published after a whole batch)`)
  process.exit(2)
}
/** About a tenth of the run, in whole publish intervals. */
const SLICE = Math.max(1, Math.floor(N / 10 / PUBLISH_EVERY)) * PUBLISH_EVERY

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
/** About the size of a logged command envelope's payload. */
const entry = (i: number) => ({ kind: 'command' as const, refId: `bench/cmd-${i}`, data: utf8(JSON.stringify({ id: `cmd-${i}`, script: 'apt-get install -y --only-upgrade openssl', targets: { kind: 'all' }, pad: 'x'.repeat(200) })) })

/** The machine line printed with the figures: e2e's proc-stats.ts machine() less the open-file limit (this package cannot import e2e). */
function machine(): string {
  const c = cpus()
  return `${c[0]?.model.trim() ?? 'unknown CPU'}, ${c.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`
}

interface Slice {
  size: number
  perSecond: number
  publishP50: number
  publishMax: number
}

interface Run {
  slices: Slice[]
  firstProofMs: number
  proofP50: number
  proofP99: number
  /** The O(n) computations the log did before the tree cache, at the final size. */
  before: { rootMs: number; proofMs: number }
}

async function oneRun(): Promise<Run> {
  const shared = await createTestApp({ logLevel: 'warn' })
  const witnesses = await startWitnesses(1, 'bench-w')
  try {
    const org = await setupOrg(shared.app, shared.db, { org: 'bench', witnesses })
    const log = new OrgLog({ db: shared.db })
    const slices: Slice[] = []
    let size = await log.size(org.org) // the root entry
    let appended = 0
    let sliceStart = performance.now()
    let sliceFrom = size
    let publishes: number[] = []
    while (size < N) {
      const n = Math.min(BATCH, N - size)
      await log.append(org.org, Array.from({ length: n }, (_, i) => entry(size + i)))
      size += n
      appended += n
      if (appended % PUBLISH_EVERY === 0 || size === N) {
        const t = performance.now()
        await log.publish(org.org)
        publishes.push(performance.now() - t)
      }
      if (appended % SLICE === 0 || size === N) {
        const s = (performance.now() - sliceStart) / 1000
        slices.push({ size, perSecond: (size - sliceFrom) / s, publishP50: pct(publishes, 50), publishMax: Math.max(...publishes) })
        sliceStart = performance.now()
        sliceFrom = size
        publishes = []
      }
    }
    const latest = (await log.latest(org.org))!
    const get = (url: string) => shared.app.inject({ method: 'GET', url, headers: org.auth })
    const proofUrl = (i: number) => `/v1/orgs/${org.org}/log/proof/inclusion?index=${i}&size=${latest.size}`
    let t = performance.now()
    const first = await get(proofUrl(0))
    if (first.statusCode !== 200) throw new Error(`proof route: ${first.statusCode} ${first.body}`)
    const firstProofMs = performance.now() - t
    const times: number[] = []
    for (let k = 0; k < PROOFS; k++) {
      const i = Math.floor(Math.random() * latest.size)
      t = performance.now()
      const res = await get(proofUrl(i))
      times.push(performance.now() - t)
      if (res.statusCode !== 200) throw new Error(`proof ${i}: ${res.statusCode}`)
      if (k === 0) {
        const [stored] = await log.entries(org.org, i, i + 1)
        const proof = (res.json() as { proof: string[] }).proof.map((h) => Buffer.from(h, 'base64'))
        if (!merkle.verifyInclusion(merkle.leafHash(stored!.data), i, latest.size, proof, latest.rootHash)) throw new Error('a served proof does not verify')
      }
    }
    const rows = await shared.db.selectFrom('log_entries').select('leaf_hash').where('org_id', '=', org.org).orderBy('idx').execute()
    const hashes = rows.map((r) => new Uint8Array(r.leaf_hash))
    t = performance.now()
    merkle.rootFromLeafHashes(hashes)
    const rootMs = performance.now() - t
    t = performance.now()
    merkle.inclusionProofFromLeafHashes(hashes, Math.floor(hashes.length / 3))
    const proofMs = performance.now() - t
    return { slices, firstProofMs, proofP50: pct(times, 50), proofP99: pct(times, 99), before: { rootMs, proofMs } }
  } finally {
    await shared.dispose()
    await Promise.all(witnesses.map((w) => w.close()))
  }
}

console.log(`# log benchmark: ${N} entries, ${BATCH} per append, a cosigned checkpoint every ${PUBLISH_EVERY}; median of ${RUNS} runs`)
console.log(`machine: ${machine()}\n`)
const runs: Run[] = []
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now()
  runs.push(await oneRun())
  console.error(`  … log run ${r + 1}/${RUNS}: ${((performance.now() - t0) / 1000).toFixed(0)} s`)
}
const ms = (x: number, digits = 1): string => `${x.toFixed(digits)} ms`
const each = (f: (r: Run) => number, digits = 2): string => runs.map((r) => f(r).toFixed(digits)).join(' / ')
console.log('| entries (end of slice) | appends/s over the slice | runs | publish p50 | publish max |')
console.log('| ---: | ---: | ---: | ---: | ---: |')
runs[0]!.slices.forEach((slice, i) => {
  const at = (f: (s: Slice) => number): number[] => runs.map((r) => f(r.slices[i]!))
  console.log(
    `| ${slice.size} | ${Math.round(median(at((s) => s.perSecond)))} | ${at((s) => s.perSecond).map(Math.round).join(' / ')} | ${ms(median(at((s) => s.publishP50)))} | ${ms(median(at((s) => s.publishMax)))} |`,
  )
})
const final = runs[0]!.slices[runs[0]!.slices.length - 1]!.size
console.log(`\nfirst proof after start (loads ${final} leaf hashes into the app's log): ${ms(median(runs.map((r) => r.firstProofMs)), 0)} (runs: ${each((r) => r.firstProofMs, 0)})`)
console.log(
  `inclusion proof at ${final} entries via the route, ${PROOFS} random indexes: p50 ${ms(median(runs.map((r) => r.proofP50)), 2)} (runs: ${each((r) => r.proofP50)}), ` +
    `p99 ${ms(median(runs.map((r) => r.proofP99)), 2)} (runs: ${each((r) => r.proofP99)})`,
)
console.log(
  `before (O(n) over all leaf hashes): one root ${ms(median(runs.map((r) => r.before.rootMs)), 0)}, one inclusion proof ${ms(median(runs.map((r) => r.before.proofMs)), 0)}`,
)
