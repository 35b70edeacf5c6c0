/**
 * The agent as a real separate process, for restart and crash tests:
 *
 *     node agent-child.test.helper.js <stateDir> <policyPath>
 *
 * Logs JSON lines on stderr; SIGTERM stops it cleanly (exit 0).
 */
import { lineLogger, runAgent } from '../index.js'
import { fakeInventory } from './inventory.test.helper.js'

const [stateDir, policyPath] = process.argv.slice(2)
const ac = new AbortController()
process.once('SIGTERM', () => ac.abort())
process.once('SIGINT', () => ac.abort())
await runAgent({
  stateDir: stateDir!,
  policyPath,
  signal: ac.signal,
  logger: lineLogger((l) => void process.stderr.write(l), true),
  backoff: { baseMs: 50, maxMs: 400, resetAfterMs: 2000 },
  collectInventory: async () => fakeInventory(),
})
