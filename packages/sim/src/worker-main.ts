/**
 * A simulator worker process (forked by run-simulator.ts): waits for its
 * `start` message, runs its fleet, reports counters every status interval,
 * stops on `stop` (or when the parent goes away), and exits after `done`.
 */
import { zeroCounters } from './counters.js'
import { isSimError } from './errors.js'
import { runFleet, sample } from './fleet.js'
import type { FromWorker, ToWorker } from './run-simulator.js'

const send = (m: FromWorker): Promise<void> =>
  new Promise((resolve) => {
    if (process.connected && process.send !== undefined) process.send(m, undefined, {}, () => resolve())
    else resolve()
  })

const stop = new AbortController()
process.on('disconnect', () => stop.abort())
process.on('SIGINT', () => undefined) // the parent decides when to stop; Ctrl-C reaches it too
process.on('message', (m: ToWorker) => {
  if (m.type === 'stop') {
    stop.abort()
    return
  }
  const counters = zeroCounters()
  const timer = setInterval(() => void send({ type: 'status', counters: sample(counters) }), m.statusIntervalMs)
  runFleet(m.options, stop.signal, counters, (line) => void send({ type: 'note', line }))
    .then(async (final) => {
      clearInterval(timer)
      await send({ type: 'done', counters: final })
      process.exit(0)
    })
    .catch(async (e: unknown) => {
      clearInterval(timer)
      await send({ type: 'failed', code: isSimError(e) ? e.code : 'SIM_WORKER_FAILED', message: (e as Error).message })
      process.exit(1)
    })
})
