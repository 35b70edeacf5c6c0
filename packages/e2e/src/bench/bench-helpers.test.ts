/**
 * The fleet benchmark's planning and measuring helpers: settings refused
 * with the variable's name, sizes placed within the real open-file limit,
 * and a process tree found through /proc (real child processes).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { BenchEnvError, envChoices, envInt, envSizes } from './bench-env.js'
import { FD_HEADROOM, perProcess, serverWorkersFor, simWorkersFor, sourceAddressesFor, WORKER_FILL } from './capacity.js'
import { openFileLimits } from './fd-limit.js'
import { cpuTicks, processTree, rssBytes, sleep, sumOver } from './proc-stats.js'

/** Runs `f` with process.env[name] set to `value` (undefined: unset). */
function withEnv<T>(name: string, value: string | undefined, f: () => T): T {
  const old = process.env[name]
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
  try {
    return f()
  } finally {
    if (old === undefined) delete process.env[name]
    else process.env[name] = old
  }
}

describe('bench settings', () => {
  it('when unset, take the default; when set, parse it', () => {
    assert.deepEqual(withEnv('PALISADE_BENCH_T', undefined, () => envSizes('PALISADE_BENCH_T', [1, 2], 1, 10)), [1, 2])
    assert.deepEqual(withEnv('PALISADE_BENCH_T', ' 3, 4 ', () => envSizes('PALISADE_BENCH_T', [1], 1, 10)), [3, 4])
    assert.deepEqual(withEnv('PALISADE_BENCH_T', '', () => envSizes('PALISADE_BENCH_T', [1], 1, 10)), [])
    assert.equal(withEnv('PALISADE_BENCH_T', '7', () => envInt('PALISADE_BENCH_T', 3, 1, 9)), 7)
    assert.deepEqual(withEnv('PALISADE_BENCH_T', 'postgres', () => envChoices('PALISADE_BENCH_T', ['sqlite'], ['sqlite', 'postgres'])), ['postgres'])
  })
  it('when malformed or out of range, throw a BenchEnvError naming the variable and the bad item', () => {
    const cases: [string, () => unknown][] = [
      ['10,abc', () => envSizes('PALISADE_BENCH_T', [], 1, 100)],
      ['0', () => envInt('PALISADE_BENCH_T', 3, 1, 99)],
      ['1e3', () => envInt('PALISADE_BENCH_T', 3, 1, 99999)],
      ['2000000', () => envSizes('PALISADE_BENCH_T', [], 1, 1_000_000)],
      ['mysql', () => envChoices('PALISADE_BENCH_T', ['sqlite'], ['sqlite', 'postgres'])],
    ]
    for (const [value, f] of cases) {
      assert.throws(() => withEnv('PALISADE_BENCH_T', value, f), (e: unknown) => e instanceof BenchEnvError && e.message.startsWith('PALISADE_BENCH_T=') && e.message.includes(value.split(',').pop()!))
    }
  })
})

describe('placing agents within the open-file limit', () => {
  const one = perProcess()
  it('derives one process\'s capacity from the limit read at run time', () => {
    assert.equal(one, openFileLimits().soft - FD_HEADROOM)
    assert.ok(one > 0, `open-file limit ${openFileLimits().soft} leaves no room for agents`)
  })
  it('puts a size one process holds on one process, and a larger one on the fewest workers within their fill', () => {
    assert.equal(serverWorkersFor(1), 1)
    assert.equal(serverWorkersFor(one), 1)
    for (const n of [one + 1, 2 * one, 50_000, 123_457]) {
      const w = serverWorkersFor(n)
      const fill = Math.floor(one * WORKER_FILL)
      assert.ok(Math.ceil(n / w) <= fill, `${n} on ${w} workers: ${Math.ceil(n / w)} each, more than ${fill}`)
      assert.ok(w === 2 || Math.ceil(n / (w - 1)) > fill, `${n}: ${w - 1} workers would do`)
    }
  })
  it('gives the simulator at least 2 workers, none above one process\'s capacity', () => {
    for (const n of [1, one, one + 1, 50_000]) {
      const w = simWorkersFor(n)
      assert.ok(w >= 2 && Math.ceil(n / w) <= one, `${n} agents on ${w} simulator workers`)
    }
  })
  it('gives at least 8 source addresses, more when 2N connections need them, and refuses past 127.0.0.251', () => {
    assert.deepEqual(sourceAddressesFor(10), Array.from({ length: 8 }, (_, i) => `127.0.0.${2 + i}`))
    assert.equal(sourceAddressesFor(200_000).length, 20)
    assert.throws(() => sourceAddressesFor(3_000_000), /source addresses/)
  })
})

describe('processTree', () => {
  it('finds a process, its child and its grandchild, and sums over them', async () => {
    const child = spawn(process.execPath, [
      '-e', "require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'inherit' }); setTimeout(() => {}, 60000)",
    ], { stdio: 'ignore' })
    try {
      let tree: number[] = []
      for (let i = 0; i < 100 && tree.length < 3; i++) {
        await sleep(100)
        tree = processTree(process.pid)
      }
      assert.ok(tree[0] === process.pid && tree.includes(child.pid!), `tree ${tree}`)
      const own = processTree(child.pid!)
      assert.equal(own.length, 2, `the child's tree: ${own}`)
      assert.ok(sumOver(own, rssBytes) > rssBytes(child.pid!))
      assert.ok(sumOver([...own, 2 ** 22 + 1], cpuTicks) >= 0, 'a pid that does not exist counts as nothing')
    } finally {
      for (const p of processTree(child.pid!).reverse()) process.kill(p, 'SIGKILL')
    }
  })
})
