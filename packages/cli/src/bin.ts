#!/usr/bin/env node
/**
 * The `palisade` executable: runs the program with the real process and
 * sets the exit status (0 ok, 1 error, 2 usage error). Error reporting
 * lives in program.ts and io/output.ts; this file only wires the process.
 */
import { setFlagsFromString } from 'node:v8'

const args = process.argv.slice(2)
// `palisade agent run` lives on every managed machine for as long as it is
// up: run it without V8's optimizing and baseline compilers, as the lean
// palisade-agent does (idle RSS measured 52 MB with, 61 MB without). Set
// before the program is loaded, so no code is compiled under other flags.
const agentRun = args.findIndex((a, i) => a === 'agent' && args[i + 1] === 'run') >= 0
if (agentRun) {
  setFlagsFromString('--no-opt')
  setFlagsFromString('--no-sparkplug')
}
const { run } = await import('./program.js')

// `palisade key list | head -1` closes stdout early: that is not an error
// worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw e
  })
}

try {
  process.exitCode = await run(args, { env: process.env, stdout: process.stdout, stderr: process.stderr })
} catch (e) {
  // run() never throws; this is the last line of defence, still without a stack
  process.stderr.write(`palisade: unexpected error: ${String((e as Error)?.message ?? e).split('\n', 1)[0]}\n`)
  process.exitCode = 1
}
