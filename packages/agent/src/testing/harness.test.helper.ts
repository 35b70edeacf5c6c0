/** Shared setup for the runtime tests: enrolled devices, agents in-process, small waits. */
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { enroll } from '../enroll.js'
import { runAgent, type RunAgentOptions } from '../runtime/run-agent.js'
import type { AgentLogger } from '../runtime/logger.js'
import type { TestGateway } from './gateway.test.helper.js'
import { fakeInventory } from './inventory.test.helper.js'

/** The account scripts run as in tests: whoever runs the tests (root in CI). */
export const RUN_AS = userInfo().username

export interface Enrolled {
  readonly dir: string
  readonly deviceId: string
  /** A scratch directory for sentinels. */
  readonly scratch: string
  readonly policyPath: string
}

export async function enrolled(gw: TestGateway): Promise<Enrolled> {
  const base = await mkdtemp(join(tmpdir(), 'palisade-agent-test-'))
  const dir = join(base, 'state')
  const e = await enroll({ server: gw.url, token: gw.token, fingerprint: gw.org.fingerprint, stateDir: dir, inventory: null })
  return { dir, deviceId: e.deviceId, scratch: base, policyPath: join(base, 'no-policy.json') }
}

export interface InProcessAgent {
  readonly logs: { level: string; message: string; fields: Readonly<Record<string, unknown>> }[]
  readonly done: Promise<void>
  stop(): Promise<void>
}

export function startAgent(e: Enrolled, extra: Partial<RunAgentOptions> = {}): InProcessAgent {
  const ac = new AbortController()
  const logs: InProcessAgent['logs'] = []
  const logger: AgentLogger = { log: (level, message, fields = {}) => void logs.push({ level, message, fields }) }
  const done = runAgent({
    stateDir: e.dir,
    policyPath: e.policyPath,
    signal: ac.signal,
    logger,
    backoff: { baseMs: 50, maxMs: 400, resetAfterMs: 5000 },
    collectInventory: async () => fakeInventory(),
    ...extra,
  })
  return {
    logs,
    done,
    async stop() {
      ac.abort()
      await done
    },
  }
}

/** Polls (in the test only) until `check` holds. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export async function spoolNames(e: Enrolled): Promise<string[]> {
  return (await readdir(join(e.dir, 'spool'))).filter((n) => !n.startsWith('.'))
}

export async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '')
  } catch {
    return []
  }
}
