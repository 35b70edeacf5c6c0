// The witness over real HTTP on 127.0.0.1 (port 0) with a real data
// directory: the cosigning path, every refusal of c2sp.org/tlog-witness,
// concurrency, restart, and a fuzzed stream of malformed requests.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkpoint, cosignature, note, utf8 } from '@palisade/protocol'
import { addWitnessedLog, parseListen, startWitness, type RunningWitness } from './index.js'
import { isWitnessError } from './errors.js'
import { addCheckpoint, forkOf, TestLog } from './test-log.test.helper.js'

const PLAIN = 'text/plain; charset=utf-8'

describe('witness over HTTP', () => {
  let dir: string
  let w: RunningWitness
  let log: TestLog // example.com/log, cosigned up to 9 by the first test
  let race: TestLog // example.com/race, for the concurrency test
  let fresh: TestLog // example.com/fresh, never cosigned before its test
  let fuzz: TestLog

  // The fuzz test below sends hundreds of junk requests from one address: room for them (the limit has its own tests).
  const start = () => startWitness({ listen: '127.0.0.1:0', dataDir: dir, name: 'witness.test', logger: false, addCheckpointRateLimit: { unsigned: { burst: 1000, perSecond: 100 } } })
  const verifyCosignature = async (l: TestLog, size: number, line: string, rootHash?: Uint8Array) => {
    const signed = await l.checkpoint(size, rootHash === undefined ? {} : { rootHash })
    const text = note.parse(signed).text
    const witnessKey = cosignature.witnessVerifierFromString(w.verifierKey)
    const time = cosignature.verifyCosignature(text, line, witnessKey)
    assert.ok(Math.abs(time - Date.now() / 1000) < 60)
    // and as the spec suggests: append it to the note and open it with the witness key
    const opened = checkpoint.openCosignedCheckpoint(signed + line, {
      origin: l.origin,
      logVerifier: note.verifierFromString(l.vkey),
      witnesses: [witnessKey],
      quorum: 1,
    })
    assert.equal(opened.checkpoint.size, size)
  }
  const heads = async () => (await (await fetch(`${w.url}/logs`)).json()) as { origin: string; size: number }[]
  const sizeOf = async (origin: string) => (await heads()).find((h) => h.origin === origin)?.size

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-witness-'))
    log = (await TestLog.create('example.com/log')).grow(16)
    race = (await TestLog.create('example.com/race')).grow(4)
    fresh = (await TestLog.create('example.com/fresh')).grow(4)
    fuzz = (await TestLog.create('example.com/fuzz')).grow(8)
    for (const l of [log, race, fresh, fuzz]) await addWitnessedLog(dir, l.vkey)
    w = await start()
  })
  after(async () => {
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves its cosignature/v1 key, /healthz and /logs', async () => {
    assert.match(w.verifierKey, /^witness\.test\+[0-9a-f]{8}\+B[A-Za-z0-9+/]{43}$/)
    assert.match(w.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(await (await fetch(`${w.url}/healthz`)).text(), 'ok\n')
    assert.deepEqual((await heads()).map((h) => [h.origin, h.size]).sort(), [
      ['example.com/fresh', 0],
      ['example.com/fuzz', 0],
      ['example.com/log', 0],
      ['example.com/race', 0],
    ])
    assert.equal((await fetch(`${w.url}/nope`)).status, 404)
  })

  it('cosigns 1 → 5 → 9 with consistency proofs, and every cosignature verifies', async () => {
    for (const [old, size] of [[0, 1], [1, 5], [5, 9]] as const) {
      const r = await addCheckpoint(w.url, await log.request(old, size))
      assert.equal(r.status, 200, r.body)
      assert.equal(r.type, PLAIN)
      assert.match(r.body, /^— witness\.test [A-Za-z0-9+/]+=*\n$/)
      await verifyCosignature(log, size, r.body)
    }
    assert.equal(await sizeOf('example.com/log'), 9)
  })

  it('cosigns the same checkpoint again (old = new, same root, empty proof)', async () => {
    const r = await addCheckpoint(w.url, await log.request(9, 9))
    assert.equal(r.status, 200, r.body)
    await verifyCosignature(log, 9, r.body)
  })

  it('refuses a fork at the same size with 409 (not a size answer) and does not cosign it', async () => {
    const fork = await forkOf(log, 6, 9)
    const r = await addCheckpoint(w.url, await fork.request(9, 9))
    assert.equal(r.status, 409)
    assert.equal(r.type, PLAIN)
    assert.match(r.body, /^WIT_ROOT_MISMATCH: /)
    assert.doesNotMatch(r.body, /—/)
    assert.equal(await sizeOf('example.com/log'), 9)
  })

  it('refuses a larger checkpoint that is not consistent with the cosigned one: 422', async () => {
    const fork = await forkOf(log, 7, 12)
    // the fork's own (valid) proof from 9, which cannot lead to the witness's root at 9
    const r = await addCheckpoint(w.url, await fork.request(9, 12))
    assert.equal(r.status, 422)
    assert.match(r.body, /^WIT_PROOF_INVALID: /)
    // the honest root at 12 with a proof that does not verify
    const bad = log.proof(9, 12).map((h, i) => (i === 0 ? utf8('x'.repeat(32)) : h))
    assert.equal((await addCheckpoint(w.url, await log.request(9, 12, { proof: bad }))).status, 422)
    // a truncated proof
    assert.equal((await addCheckpoint(w.url, await log.request(9, 12, { proof: log.proof(9, 12).slice(1) }))).status, 422)
    assert.equal(await sizeOf('example.com/log'), 9)
  })

  it('refuses a rollback: old size above the checkpoint size is 400, an honest old size is 409', async () => {
    const r = await addCheckpoint(w.url, await log.request(9, 5, { proof: [] }))
    assert.equal(r.status, 400)
    assert.match(r.body, /^WIT_OLD_SIZE_TOO_LARGE: /)
    const r2 = await addCheckpoint(w.url, await log.request(1, 5))
    assert.equal(r2.status, 409)
    assert.equal(r2.type, 'text/x.tlog.size')
    assert.equal(r2.body, '9\n')
    assert.equal(await sizeOf('example.com/log'), 9)
  })

  it('answers a wrong old size with 409, Content-Type text/x.tlog.size and the cosigned size', async () => {
    for (const old of [0, 5, 10]) {
      const r = await addCheckpoint(w.url, await log.request(old, 12, { proof: old === 0 ? [] : log.proof(old, 12) }))
      assert.deepEqual([r.status, r.type, r.body], [409, 'text/x.tlog.size', '9\n'])
    }
  })

  it('refuses an unknown origin with 404', async () => {
    const stranger = (await TestLog.create('example.com/stranger')).grow(3)
    const r = await addCheckpoint(w.url, await stranger.request(0, 3))
    assert.equal(r.status, 404)
    assert.match(r.body, /^WIT_LOG_UNKNOWN: /)
  })

  it('refuses a checkpoint not signed by the log key with 403', async () => {
    const impostor = await TestLog.create('example.com/log', 'impostor')
    assert.equal((await addCheckpoint(w.url, await log.request(9, 12, { signer: impostor.signer }))).status, 403)
    // the log's own signature line, with one bit of the signature flipped
    const body = await log.request(9, 12)
    const i = body.lastIndexOf(' ') + 10
    const flipped = body.slice(0, i) + (body[i] === 'A' ? 'B' : 'A') + body.slice(i + 1)
    const r = await addCheckpoint(w.url, flipped)
    assert.equal(r.status, 403)
    assert.match(r.body, /^WIT_LOG_SIG: /)
    assert.equal(await sizeOf('example.com/log'), 9)
  })

  it('refuses a non-empty proof from old size 0 with 422', async () => {
    const r = await addCheckpoint(w.url, await fresh.request(0, 4, { proof: [fresh.root(2)] }))
    assert.equal(r.status, 422)
    assert.equal(await sizeOf('example.com/fresh'), 0)
    assert.equal((await addCheckpoint(w.url, await fresh.request(0, 4))).status, 200)
  })

  it('refuses a body over 64 KiB with 413', async () => {
    const r = await addCheckpoint(w.url, 'old 0\n' + 'A'.repeat(70 * 1024))
    assert.equal(r.status, 413)
  })

  it('never answers 5xx to 300 mutated requests', async () => {
    const valid = utf8(await fuzz.request(0, 8))
    let seed = 0x2545f491
    const rand = (n: number) => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % n
    }
    const statuses = new Map<number, number>()
    for (let i = 0; i < 300; i++) {
      const b = Array.from(valid)
      for (let k = 1 + rand(3); k > 0 && b.length > 0; k--) {
        const at = rand(b.length)
        switch (rand(5)) {
          case 0: b[at] = rand(256); break
          case 1: b.splice(at, 1 + rand(16)); break
          case 2: b.splice(at, 0, [0x0a, 0x20, 0x0d, 0x30, 0x2b, rand(256)][rand(6)]!); break
          case 3: b.splice(at, 0, ...b.slice(rand(b.length), rand(b.length))); break
          default: b.length = at
        }
      }
      const res = await fetch(`${w.url}/add-checkpoint`, {
        method: 'POST',
        body: Uint8Array.from(b),
        headers: i % 3 === 0 ? { 'content-type': 'application/json' } : {},
      })
      await res.arrayBuffer()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      assert.ok(res.status < 500, `request ${i} got ${res.status}`)
    }
    assert.ok([...statuses.keys()].every((s) => [200, 400, 403, 404, 409, 413, 422].includes(s)), JSON.stringify([...statuses]))
    assert.ok((statuses.get(400) ?? 0) > 50)
  })

  it('serialises concurrent requests for one origin: of two conflicting extensions exactly one is cosigned', async () => {
    assert.equal((await addCheckpoint(w.url, await race.request(0, 4))).status, 200)
    let stored = 4
    for (let round = 0; round < 5; round++) {
      const next = stored + 3
      // five histories that all extend the cosigned one, and disagree with each other
      const forks = await Promise.all([0, 1, 2, 3, 4].map((k) => forkOf(race, stored, next, `round ${round} fork ${k} `)))
      const bodies = await Promise.all(forks.map((f) => f.request(stored, next)))
      const results = await Promise.all(bodies.map((b) => addCheckpoint(w.url, b)))
      const won = results.filter((r) => r.status === 200)
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)))
      assert.ok(results.every((r) => r.status === 200 || (r.status === 409 && r.body === `${next}\n`)))
      const winner = forks[results.indexOf(won[0]!)]!
      await verifyCosignature(winner, next, won[0]!.body)
      race = winner
      stored = next
    }
    assert.equal(await sizeOf('example.com/race'), stored)
  })

  it('records every refusal in refusals.jsonl, with bounded excerpts and signed evidence', async () => {
    const path = join(dir, 'refusals.jsonl')
    const records = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const codes = new Set(records.map((r) => r['code']))
    for (const c of ['WIT_ROOT_MISMATCH', 'WIT_PROOF_INVALID', 'WIT_OLD_SIZE_TOO_LARGE', 'WIT_OLD_SIZE_CONFLICT', 'WIT_LOG_UNKNOWN', 'WIT_LOG_SIG', 'WIT_MALFORMED', 'WIT_BODY_TOO_LARGE']) {
      assert.ok(codes.has(c), `no ${c} record`)
    }
    for (const r of records) {
      assert.equal(typeof r['time'], 'string')
      assert.ok(((r['excerpt'] as string | undefined)?.length ?? 0) <= 512)
      assert.ok(((r['note'] as string | undefined)?.length ?? 0) <= 8192)
    }
    const fork = records.find((r) => r['code'] === 'WIT_ROOT_MISMATCH')!
    assert.deepEqual([fork['origin'], fork['oldSize'], fork['size'], fork['storedSize'], fork['status']], ['example.com/log', 9, 9, 9, 409])
    assert.match(fork['note'] as string, /^example\.com\/log\n9\n/)
    assert.equal((await stat(path)).mode & 0o077, 0)
  })

  it('keeps its state across a restart: the fork is still refused, the log still advances', async () => {
    const before = w.verifierKey
    await w.close()
    w = await start()
    assert.equal(w.verifierKey, before)
    assert.equal(await sizeOf('example.com/log'), 9)
    const fork = await forkOf(log, 6, 12)
    assert.equal((await addCheckpoint(w.url, await fork.request(9, 9))).status, 409)
    assert.equal((await addCheckpoint(w.url, await fork.request(9, 12))).status, 422)
    const r = await addCheckpoint(w.url, await log.request(9, 16))
    assert.equal(r.status, 200, r.body)
    await verifyCosignature(log, 16, r.body)
  })

  it('refuses to serve a data directory another witness is serving', async () => {
    await assert.rejects(start(), (e) => isWitnessError(e, 'WIT_DATA_LOCKED'))
    assert.equal((await fetch(`${w.url}/healthz`)).status, 200)
  })

  it('keeps its files private: directory 0700, key 0600', async () => {
    assert.equal((await stat(dir)).mode & 0o777, 0o700)
    assert.equal((await stat(join(dir, 'witness-key.json'))).mode & 0o777, 0o600)
    assert.ok(!(await readFile(join(dir, 'refusals.jsonl'), 'utf8')).includes(JSON.parse(await readFile(join(dir, 'witness-key.json'), 'utf8')).seed))
  })
})

describe('parseListen', () => {
  it('reads host:port and [v6]:port', () => {
    assert.deepEqual(parseListen('127.0.0.1:8081'), { host: '127.0.0.1', port: 8081 })
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 })
    assert.deepEqual(parseListen('witness.local:443'), { host: 'witness.local', port: 443 })
  })

  it('refuses anything else: WIT_CONFIG', () => {
    for (const bad of ['nonsense', ':8081', '127.0.0.1', '127.0.0.1:65536', '::1:80', 'host:port', '127.0.0.1:80 ']) {
      assert.throws(() => parseListen(bad), (e) => isWitnessError(e, 'WIT_CONFIG'), bad)
    }
  })
})
