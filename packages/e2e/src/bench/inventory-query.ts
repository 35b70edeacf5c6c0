/**
 * Part c of the fleet benchmark: "every device with openssl below 3.0.14"
 * over N devices' reported packages, through GET /v1/orgs/:org/devices
 * ?package=&below= (real HTTP, SQLite, one process), p50/p99/max of
 * sequential queries after 20 warm-up calls.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BenchServer } from './bench-server.js'
import { machine, percentile, sleep } from './proc-stats.js'
import { printTable, progress } from './report.js'
import { startFleet } from './start-fleet.js'

/**
 * @example
 * await inventoryQuery({ sizes: [1000, 10000], queries: 500 })
 */
export async function inventoryQuery(o: { readonly sizes: readonly number[]; readonly queries: number }): Promise<void> {
  console.log(`\n## c. inventory query: devices with openssl below 3.0.14 (SQLite, HTTP, ${o.queries} queries after 20 warm-up)\n`)
  console.log(`machine: ${machine()}\n`)
  const rows: string[][] = []
  for (const n of o.sizes) {
    const s = await BenchServer.start('sqlite')
    const stateDir = mkdtempSync(join(tmpdir(), 'palisade-sim-state-'))
    try {
      const fleet = await startFleet(s, n, await s.tokens(n), stateDir)
      try {
        // Every simulated device reports dpkg: wait until every inventory is stored.
        for (let t0 = Date.now(); (await s.api('/v1/orgs/acme/devices?package=dpkg')).devices.length < n; ) {
          if (Date.now() - t0 > 120_000) throw new Error('inventories not stored after 2 minutes')
          await sleep(1000)
        }
      } finally {
        await fleet.stop()
      }
      const path = '/v1/orgs/acme/devices?package=openssl&below=3.0.14'
      let matching = 0
      for (let i = 0; i < 20; i++) matching = (await s.api(path)).devices.length
      const times: number[] = []
      for (let i = 0; i < o.queries; i++) {
        const t = performance.now()
        await s.api(path)
        times.push(performance.now() - t)
      }
      const at = (p: number): string => `${percentile(times, p).toFixed(1)} ms`
      rows.push([String(n), String(matching), at(50), at(99), `${Math.max(...times).toFixed(1)} ms`])
      progress(`inventory ${n}: p50 ${at(50)}, p99 ${at(99)}`)
    } finally {
      await s.stop()
      rmSync(stateDir, { recursive: true, force: true })
    }
  }
  printTable('rrrrr', ['devices', 'matching', 'p50', 'p99', 'max'], rows)
}
