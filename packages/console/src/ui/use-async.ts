/**
 * Loads something asynchronously and keeps its state: data, error, and
 * whether a load is running. `reload()` runs it again (live updates call it).
 */
import { useCallback, useEffect, useRef, useState } from 'react'

export interface AsyncState<T> {
  readonly data: T | undefined
  readonly error: unknown
  readonly loading: boolean
  reload(): void
}

/**
 * @example
 * const devices = useAsync(() => api<{ devices: Device[] }>('GET', url), [url])
 */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [loading, setLoading] = useState(true)
  const generation = useRef(0)
  const loadRef = useRef(load)
  loadRef.current = load
  const run = useCallback(() => {
    const mine = ++generation.current
    setLoading(true)
    loadRef.current().then(
      (d) => {
        if (mine !== generation.current) return
        setData(d)
        setError(undefined)
        setLoading(false)
      },
      (e: unknown) => {
        if (mine !== generation.current) return
        setError(e)
        setLoading(false)
      },
    )
  }, [])
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => {
    setData(undefined)
    run()
    return () => {
      generation.current++
    }
  }, deps)
  return { data, error, loading, reload: run }
}
