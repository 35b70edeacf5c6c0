/**
 * The signed-in admin's pending invitations (GET /v1/me/invitations), kept
 * once for the whole page so the header badge and the account page agree:
 * accepting one on the account page clears the badge at once.
 *
 * Loaded when the first reader mounts, again whenever the window regains
 * the focus, and after every answer. No timer: a background poll would
 * touch the session every minute and so defeat its idle timeout (30 min),
 * which must measure the person, not the tab.
 *
 * Only a session that passed MFA may ask (the route is not *before MFA*):
 * readers pass `enabled = false` otherwise, and nothing is fetched.
 */
import { useEffect, useSyncExternalStore } from 'react'
import { api, seg } from '../api/http'
import { onSignedOut } from '../api/session'
import type { ReceivedInvitation, Role } from '../api/types'

/** What readers see: the list (undefined until the first load) and the last load's error. */
export interface PendingInvitations {
  readonly list: readonly ReceivedInvitation[] | undefined
  readonly error: unknown
}

let state: PendingInvitations = { list: undefined, error: undefined }
let loading: Promise<void> | undefined
const listeners = new Set<() => void>()

function set(next: PendingInvitations): void {
  state = next
  for (const l of [...listeners]) l()
}

/**
 * Loads the list again (one request at a time; callers share it).
 *
 * @example
 * await reloadInvitations()
 */
export function reloadInvitations(): Promise<void> {
  loading ??= api<{ invitations: ReceivedInvitation[] }>('GET', '/v1/me/invitations')
    .then(
      (r) => set({ list: r.invitations, error: undefined }),
      (e: unknown) => set({ list: state.list, error: e }),
    )
    .finally(() => {
      loading = undefined
    })
  return loading
}

/**
 * Accepts (`accept`) or declines (`decline`) invitation `id`, then reloads
 * the list. Returns the server's answer; throws its ApiError.
 *
 * @example
 * const { org, role } = await answerInvitation(inv.id, 'accept')
 */
export async function answerInvitation(id: string, answer: 'accept' | 'decline'): Promise<{ org?: string; role?: Role }> {
  try {
    return await api<{ org?: string; role?: Role }>('POST', `/v1/me/invitations/${seg(id)}/${answer}`, {})
  } finally {
    await reloadInvitations()
  }
}

// A sign-out forgets the list: the next admin in this tab must not see it.
onSignedOut(() => set({ list: undefined, error: undefined }))

/**
 * The pending invitations, loading them when `enabled` (a session that
 * passed MFA) and on every return of the focus.
 *
 * @example
 * const { list } = usePendingInvitations(me.session.mfa)
 */
export function usePendingInvitations(enabled: boolean): PendingInvitations {
  useEffect(() => {
    if (!enabled) return
    void reloadInvitations()
    const onFocus = (): void => void reloadInvitations()
    window.addEventListener('focus', onFocus)
    return () => window.removeEventListener('focus', onFocus)
  }, [enabled])
  const snapshot = useSyncExternalStore(
    (l) => {
      listeners.add(l)
      return () => void listeners.delete(l)
    },
    () => state,
  )
  return enabled ? snapshot : { list: undefined, error: undefined }
}
