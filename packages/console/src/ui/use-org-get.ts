/**
 * GETs an org route and keeps it fresh: reloaded on the live events of the
 * given kinds (none: loaded once per org and path).
 */
import { api, seg } from '../api/http'
import { useOrgEvents, type EventKind } from '../live/org-events'
import { useAsync, type AsyncState } from './use-async'

const NO_EVENTS: readonly EventKind[] = []

/**
 * @example
 * const alerts = useOrgGet(org, '/alerts', (r: { alerts: Alert[] }) => r.alerts, ['alert'])
 */
export function useOrgGet<R, T>(org: string, path: string, pick: (answer: R) => T, live: readonly EventKind[] = NO_EVENTS): AsyncState<T> {
  const state = useAsync(async () => pick(await api<R>('GET', `/v1/orgs/${seg(org)}${path}`)), [org, path])
  useOrgEvents(org, live, () => state.reload())
  return state
}
