#!/usr/bin/env node
// Runs every compiled test file with node's built-in test runner.
// Node 20's `node --test` does not find .ts files (and exits 0 when it finds
// nothing), so tests are compiled first (npm run build) and named here
// explicitly; finding none is an error, not a pass.
//
// Then, when PostgreSQL answers (127.0.0.1:5432, or the host of
// PALISADE_TEST_POSTGRES_URL), the server package's tests run a second time
// with PALISADE_TEST_DATABASE=postgres: every test database the server's
// test helpers make is then a fresh PostgreSQL database, so the whole
// storage suite checks both dialects. Either pass failing fails the run.
import { readdirSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const only = process.argv.slice(2) // optional substrings to select files
const files = []
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (name === 'node_modules') continue
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith('.test.js')) files.push(p)
  }
}
for (const pkg of readdirSync(join(root, 'packages'))) {
  for (const out of ['dist', 'dist-test']) {
    const d = join(root, 'packages', pkg, out)
    try { if (statSync(d).isDirectory()) walk(d) } catch { /* not built */ }
  }
}
const selected = files.filter((f) => only.length === 0 || only.some((s) => f.includes(s))).sort()
if (selected.length === 0) {
  console.error('run-tests: no compiled test files found (did the build run?)')
  process.exit(1)
}
// Checked before the first pass, so a typo does not cost a whole run.
let pgUrl
try {
  pgUrl = new URL(process.env.PALISADE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
} catch {
  console.error('run-tests: PALISADE_TEST_POSTGRES_URL is not a URL (postgres://user@host:port/db)')
  process.exit(1)
}
console.log(`run-tests: ${selected.length} files`)
for (const f of selected) console.log('  ' + relative(root, f))

/** Runs `list` with node's test runner, `env` added; true when every test passed. */
function run(list, env = {}) {
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=2', '--test-reporter=spec', ...list],
    { stdio: 'inherit', env: { ...process.env, PALISADE_REPO_ROOT: root, ...env } },
  )
  return r.status === 0
}

/** Whether something accepts TCP connections at host:port (1.5 s at most). */
function answers(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok) => { socket.destroy(); resolve(ok) }
    socket.setTimeout(1500, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const firstPassed = run(selected)
const failed = firstPassed ? [] : ['the main pass']

const server = selected.filter((f) => f.startsWith(join(root, 'packages', 'server', 'dist') + '/'))
const pgAt = `${pgUrl.hostname}:${pgUrl.port || '5432'}`
if (server.length === 0) {
  // Nothing of the server was selected: there is no second pass to run.
} else if (process.env.PALISADE_TEST_DATABASE === 'postgres') {
  console.log('run-tests: PALISADE_TEST_DATABASE=postgres already: the pass above was the server storage suite on PostgreSQL')
} else if (!(await answers(pgUrl.hostname.replace(/^\[|\]$/g, ''), Number(pgUrl.port || 5432)))) {
  console.log(`run-tests: PostgreSQL not reachable at ${pgAt}: skipped the server storage suite's second pass on PostgreSQL`)
} else {
  console.log(`run-tests: server storage suite again on PostgreSQL (${pgAt}, PALISADE_TEST_DATABASE=postgres): ${server.length} files`)
  if (!run(server, { PALISADE_TEST_DATABASE: 'postgres' })) failed.push('the server storage suite on PostgreSQL')
}
if (failed.length > 0) console.error(`run-tests: FAILED: ${failed.join(' and ')}`)
process.exit(failed.length === 0 ? 0 : 1)
