/**
 * Graceful stop on SIGINT/SIGTERM for a long-running server process (one
 * server, or the primary of a cluster): the first signal starts `close()`;
 * if closing takes longer than the timeout, the process exits with status 1
 * rather than hang.
 */
import type { Logger } from 'pino'

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * Installs the handlers and returns the function that removes them (call
 * it as closing starts). `once`-like: the handlers are removed as closing
 * starts, so a second Ctrl-C takes Node's default action and kills a
 * shutdown that hangs.
 *
 * @example
 * let remove = (): void => {}
 * const close = async (): Promise<void> => { remove(); await app.close() }
 * remove = closeOnSignals(close, logger, 10_000)
 */
export function closeOnSignals(close: () => Promise<void>, logger: Logger, timeoutMs: number): () => void {
  const remove = (): void => {
    for (const s of SIGNALS) process.off(s, onSignal)
  }
  function onSignal(signal: NodeJS.Signals): void {
    remove()
    logger.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting')
      process.exit(1)
    }, timeoutMs)
    timer.unref()
    close().then(
      () => clearTimeout(timer),
      (err: unknown) => {
        clearTimeout(timer)
        logger.error({ err }, 'shutdown failed')
        process.exitCode = 1
      },
    )
  }
  for (const s of SIGNALS) process.on(s, onSignal)
  return remove
}
