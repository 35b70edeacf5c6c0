/**
 * Runs the agent until SIGINT or SIGTERM, the way both entry points
 * (`palisade-agent run` and `palisade agent run`) need it: the first signal
 * stops it cleanly (a running command finishes and is reported), a second
 * one exits at once (the command is reported as interrupted at the next
 * start).
 */
import type { AgentLogger } from './logger.js'
import { runAgent, type RunAgentOptions } from './run-agent.js'

export async function runAgentUntilSignal(opts: Omit<RunAgentOptions, 'signal'> & { logger: AgentLogger }): Promise<void> {
  const stop = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) {
      opts.logger.log('info', 'stopping', { signal })
      stop.abort()
      return
    }
    opts.logger.log('warn', 'second signal: exiting now; a command in progress will be reported as interrupted at the next start', { signal })
    process.exit(130)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    await runAgent({ ...opts, signal: stop.signal })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
