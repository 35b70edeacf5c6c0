/**
 * A tiny client-side router over the History API: the server answers
 * index.html for `/`, `/login`, `/setup`, `/account…` and `/orgs…`
 * (packages/server/src/console/console-routes.ts), and this picks the page.
 */
import { useSyncExternalStore } from 'react'

const listeners = new Set<() => void>()
const notify = (): void => {
  for (const l of [...listeners]) l()
}
window.addEventListener('popstate', notify)

/** Goes to `to` (a path), adding a history entry unless `replace`. */
export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return
  if (replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  window.scrollTo(0, 0)
  notify()
}

/** The current path (without the query), re-rendering on navigation. */
export function usePath(): string {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l)
      return () => void listeners.delete(l)
    },
    () => location.pathname,
  )
}

/**
 * Matches `path` against `pattern` (`/orgs/:org/devices/:id`); returns the
 * decoded parameters or undefined.
 *
 * @example
 * match('/orgs/:org/devices', '/orgs/acme/devices') // { org: 'acme' }
 */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/')
  const s = path.replace(/\/+$/, '').split('/')
  if (p.length !== s.length) return undefined
  const out: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    const part = p[i]!
    const value = s[i]!
    if (part.startsWith(':')) {
      if (value === '') return undefined
      try {
        out[part.slice(1)] = decodeURIComponent(value)
      } catch {
        return undefined
      }
    } else if (part !== value) return undefined
  }
  return out
}
