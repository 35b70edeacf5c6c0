/** Runs a mutation with busy/error state; returns true when it succeeded. */
import { useState } from 'react'

/** What {@link useAction} returns. */
export interface Action {
  readonly busy: boolean
  readonly error: unknown
  run(fn: () => Promise<unknown>): Promise<boolean>
  clear(): void
}

/**
 * @example
 * const action = useAction()
 * if (await action.run(() => api('POST', url, body))) list.reload()
 */
export function useAction(): Action {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  return {
    busy,
    error,
    clear: () => setError(undefined),
    run: async (fn) => {
      setBusy(true)
      setError(undefined)
      try {
        await fn()
        return true
      } catch (e) {
        setError(e)
        return false
      } finally {
        setBusy(false)
      }
    },
  }
}
