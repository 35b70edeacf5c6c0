/**
 * The one place the console calls the server: same-origin fetch with the
 * session cookie, the CSRF header on every non-GET request, JSON in and
 * out, and RFC 9457 problems turned into {@link ApiError}. Nothing the
 * server answers is trusted for a security decision: signing and
 * verification re-check everything in the browser (crypto/, trust/).
 */
import { csrfToken, mfaRequired, signedOut } from './session'

/** A field error of a problem (`errors[]`). */
export interface FieldError {
  readonly path: string
  readonly message: string
}

/** A refused request: the problem's code, status and message. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: readonly FieldError[] = [],
  ) {
    super(message)
  }
}

/** True when `e` is an ApiError with `code`. */
export function isApiError(e: unknown, code?: string): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code)
}

/**
 * Calls `path` (`/v1/...`) and returns its JSON body.
 *
 * @example
 * const { devices } = await api<{ devices: Device[] }>('GET', `/v1/orgs/${org}/devices`)
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET') {
    const csrf = csrfToken()
    if (csrf !== undefined) headers['x-csrf-token'] = csrf
  }
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  } catch {
    throw new ApiError(0, 'NETWORK', 'the server cannot be reached; check your connection')
  }
  const text = await res.text()
  let json: unknown
  try {
    json = text === '' ? {} : JSON.parse(text)
  } catch {
    throw new ApiError(res.status, 'BAD_RESPONSE', `the server answered ${res.status} with something that is not JSON`)
  }
  if (!res.ok) {
    const p = (json ?? {}) as { code?: unknown; detail?: unknown; errors?: unknown }
    const code = typeof p.code === 'string' ? p.code : `HTTP_${res.status}`
    const detail = typeof p.detail === 'string' ? p.detail : `the server answered ${res.status}`
    const errors = Array.isArray(p.errors) ? (p.errors as FieldError[]).filter((e) => typeof e?.path === 'string' && typeof e?.message === 'string') : []
    if (res.status === 401 && code === 'SRV_UNAUTHENTICATED' && !path.startsWith('/v1/auth/')) signedOut()
    if (res.status === 403 && code === 'SRV_MFA_REQUIRED') mfaRequired()
    throw new ApiError(res.status, code, detail, errors)
  }
  return json as T
}

/** Encodes one URL path segment. */
export const seg = (s: string): string => encodeURIComponent(s)
