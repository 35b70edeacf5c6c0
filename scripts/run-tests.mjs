#!/usr/bin/env node
// Runs every compiled test file with node's built-in test runner.
// Node 20's `node --test` does not find .ts files (and exits 0 when it finds
// nothing), so tests are compiled first (npm run build) and named here
// explicitly; finding none is an error, not a pass.
import { readdirSync, statSync } from 'node:fs'
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
console.log(`run-tests: ${selected.length} files`)
for (const f of selected) console.log('  ' + relative(root, f))
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', ...selected],
  { stdio: 'inherit', env: { ...process.env, PALISADE_REPO_ROOT: root } },
)
process.exit(r.status ?? 1)
