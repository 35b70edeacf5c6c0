#!/usr/bin/env node
/**
 * The `palisade` executable: runs the program with the real process and
 * sets the exit status (0 ok, 1 error, 2 usage error). Error reporting
 * lives in program.ts and io/output.ts; this file only wires the process.
 */
import { run } from './program.js'

// `palisade key list | head -1` closes stdout early: that is not an error
// worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw e
  })
}

try {
  process.exitCode = await run(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr })
} catch (e) {
  // run() never throws; this is the last line of defence, still without a stack
  process.stderr.write(`palisade: unexpected error: ${String((e as Error)?.message ?? e).split('\n', 1)[0]}\n`)
  process.exitCode = 1
}
