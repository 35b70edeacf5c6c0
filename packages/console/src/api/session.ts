/**
 * The browser side of a console session. The session token itself is an
 * HttpOnly cookie the page never sees; what is kept here is the CSRF token
 * from the login answer (sent as x-csrf-token on every change), shared by
 * the tabs of this browser profile.
 */
const CSRF_KEY = 'palisade.csrf'
const listeners = new Set<() => void>()

/** The CSRF token of the current session, if signed in here. */
export function csrfToken(): string | undefined {
  return localStorage.getItem(CSRF_KEY) ?? undefined
}

/** Remembers the CSRF token after a login. */
export function rememberSession(csrf: string): void {
  localStorage.setItem(CSRF_KEY, csrf)
}

/** Forgets the session and tells the app (which shows the sign-in page). */
export function signedOut(): void {
  localStorage.removeItem(CSRF_KEY)
  for (const l of [...listeners]) l()
}

/** Calls `fn` whenever the server says the session is gone. */
export function onSignedOut(fn: () => void): () => void {
  listeners.add(fn)
  return () => void listeners.delete(fn)
}

const mfaListeners = new Set<() => void>()

/**
 * Tells the app that the server refused a request for want of MFA (403
 * SRV_MFA_REQUIRED: an org turned "require MFA" on, or an invitation to
 * such an org was accepted, while this admin has no TOTP). The app reads
 * GET /v1/me again and goes to enrolment.
 */
export function mfaRequired(): void {
  for (const l of [...mfaListeners]) l()
}

/** Calls `fn` whenever the server answers SRV_MFA_REQUIRED. */
export function onMfaRequired(fn: () => void): () => void {
  mfaListeners.add(fn)
  return () => void mfaListeners.delete(fn)
}
