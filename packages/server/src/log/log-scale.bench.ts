/**
 * Log benchmark (issue #7, part d; `node packages/server/dist/log/log-scale.bench.js`):
 * the org log grown to a million entries, in-process (OrgLog on a migrated
 * SQLite file, synchronous=FULL, with a real HTTP witness on 127.0.0.1 that
 * checks every consistency proof and cosigns), since a million signed
 * commands through the HTTP API would take hours of quorum signing.
 *
 * Measures, per slice of the run: appends/s sustained (batches of
 * PALISADE_BENCH_LOG_BATCH entries per transaction, a witness-cosigned
 * checkpoint published every PALISADE_BENCH_LOG_PUBLISH entries, all of it
 * in the timed window) and the publish latency at that size; then, at the
 * final size, inclusion-proof serving latency p50/p99 through the real
 * route (GET /v1/orgs/:org/log/proof/inclusion, Fastify inject: routing,
 * validation and serialisation, no socket) for random indexes, cold (each
 * proof computed; the app's log instance starts from an empty cache and
 * loads the leaf hashes once, measured separately).
 *
 * Environment: PALISADE_BENCH_LOG_ENTRIES (default 1000000),
 * PALISADE_BENCH_LOG_BATCH (1000), PALISADE_BENCH_LOG_PUBLISH (10000),
 * PALISADE_BENCH_LOG_PROOFS (2000).
 */
import { merkle, utf8 } from '@palisade/protocol'
import { createTestApp } from '../fixtures.test.helper.js'
import { setupOrg } from '../setup/test-org.test.helper.js'
import { startWitnesses } from '../witness-client/test-witness.test.helper.js'
import { OrgLog } from './org-log.js'

const N = Number(process.env['PALISADE_BENCH_LOG_ENTRIES'] ?? 1_000_000)
const BATCH = Number(process.env['PALISADE_BENCH_LOG_BATCH'] ?? 1000)
const PUBLISH_EVERY = Number(process.env['PALISADE_BENCH_LOG_PUBLISH'] ?? 10_000)
const PROOFS = Number(process.env['PALISADE_BENCH_LOG_PROOFS'] ?? 2000)
const SLICE = Math.max(PUBLISH_EVERY, Math.floor(N / 10))

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!
/** About the size of a logged command envelope's payload. */
const entry = (i: number) => ({ kind: 'command' as const, refId: `bench/cmd-${i}`, data: utf8(JSON.stringify({ id: `cmd-${i}`, script: 'apt-get install -y --only-upgrade openssl', targets: { kind: 'all' }, pad: 'x'.repeat(200) })) })

const shared = await createTestApp({ logLevel: 'warn' })
const witnesses = await startWitnesses(1, 'bench-w')
try {
  const org = await setupOrg(shared.app, shared.db, { org: 'bench', witnesses })
  const log = new OrgLog({ db: shared.db })
  console.log(`# log benchmark: ${N} entries, ${BATCH} per append, a cosigned checkpoint every ${PUBLISH_EVERY}; node ${process.version}\n`)
  console.log('| entries (end of slice) | appends/s over the slice | publish p50 | publish max |')
  console.log('| ---: | ---: | ---: | ---: |')
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
      console.log(`| ${size} | ${Math.round((size - sliceFrom) / s)} | ${pct(publishes, 50).toFixed(1)} ms | ${Math.max(...publishes).toFixed(1)} ms |`)
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
  console.log(`\nfirst proof after start (loads ${latest.size} leaf hashes into the app's log): ${(performance.now() - t).toFixed(0)} ms`)
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
  console.log(`inclusion proof at ${latest.size} entries via the route, ${PROOFS} random indexes: p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms`)

  // For comparison: the O(n) computations the log did before the tree cache.
  const rows = await shared.db.selectFrom('log_entries').select('leaf_hash').where('org_id', '=', org.org).orderBy('idx').execute()
  const hashes = rows.map((r) => new Uint8Array(r.leaf_hash))
  t = performance.now()
  merkle.rootFromLeafHashes(hashes)
  const rootMs = performance.now() - t
  t = performance.now()
  merkle.inclusionProofFromLeafHashes(hashes, Math.floor(hashes.length / 3))
  console.log(`before (O(n) over all leaf hashes): one root ${rootMs.toFixed(0)} ms, one inclusion proof ${(performance.now() - t).toFixed(0)} ms`)
} finally {
  await shared.dispose()
  await Promise.all(witnesses.map((w) => w.close()))
}
