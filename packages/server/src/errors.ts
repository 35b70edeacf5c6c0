/**
 * Every failure the server reports over HTTP carries one of these stable
 * codes, in an RFC 9457 problem document (see http/problem.ts).
 *
 * Codes are API: the CLI, the console and agents branch on them. A code,
 * once published, keeps its meaning and HTTP status and is never reused;
 * retire a code by leaving it here marked as retired. Only this package maps
 * codes to HTTP statuses — protocol errors carry no status of their own
 * (see http/protocol-status.ts for their mapping).
 */
export const SERVER_ERROR_CODES = {
  SRV_VALIDATION: {
    status: 400,
    title: 'Request failed validation',
    description: 'A body, query, params or header value does not match the route schema, including unknown fields. `errors` names each field.',
  },
  SRV_MALFORMED: {
    status: 400,
    title: 'Malformed request',
    description: 'The request cannot be parsed at all: invalid JSON, an empty JSON body, a bad URL or Content-Length.',
  },
  SRV_UNAUTHENTICATED: {
    status: 401,
    title: 'Authentication required',
    description: 'No credentials, or credentials that are unknown, expired or revoked. Never says which.',
  },
  SRV_FORBIDDEN: {
    status: 403,
    title: 'Forbidden',
    description: 'The caller is authenticated but its role or scopes do not allow this action; `detail` names the permission needed.',
  },
  SRV_CSRF: {
    status: 403,
    title: 'CSRF token missing or wrong',
    description: 'A request other than GET/HEAD authenticated by a console session did not carry the session\'s CSRF token in `x-csrf-token`.',
  },
  SRV_MFA_REQUIRED: {
    status: 403,
    title: 'Multi-factor authentication required',
    description: 'The session has not passed MFA, and this route (or the organisation, by its require-MFA setting) needs it.',
  },
  SRV_AMBIGUOUS_CREDENTIALS: {
    status: 400,
    title: 'Ambiguous credentials',
    description: 'The request carries both a session cookie and an `Authorization` header; send one.',
  },
  SRV_MFA_CODE_REQUIRED: {
    status: 401,
    title: 'MFA code required',
    description: 'Login: the password is right and the account has TOTP enabled; send `totp` (or `recoveryCode`) with the same request.',
  },
  SRV_MFA_CODE_INVALID: {
    status: 401,
    title: 'MFA code invalid',
    description: 'The TOTP code or recovery code is wrong, already used, or for a time step already accepted.',
  },
  SRV_ACCOUNT_LOCKED: {
    status: 401,
    title: 'Account temporarily locked',
    description: 'Retired: no longer sent. A locked account answers SRV_UNAUTHENTICATED to every password (WIRE.md "Console accounts"); the code stays reserved, never reused.',
  },
  SRV_NOT_FOUND: {
    status: 404,
    title: 'Not found',
    description: 'No such route, or no such resource visible to the caller (another org’s resources are "not found").',
  },
  SRV_REQUEST_TIMEOUT: {
    status: 408,
    title: 'Request timeout',
    description: 'The request did not arrive completely in time; the connection is closed.',
  },
  SRV_CONFLICT: {
    status: 409,
    title: 'Conflict',
    description: 'The resource already exists or changed state concurrently (duplicate key, already used, already signed).',
  },
  SRV_DUPLICATE: {
    status: 409,
    title: 'Duplicate',
    description: 'A value that must be unique in the organisation (username, email, group name) is already taken; `errors` names the field.',
  },
  SRV_LAST_OWNER: {
    status: 409,
    title: 'Last owner',
    description: 'The change would leave the organisation without an owner (removing, demoting or disabling its last one).',
  },
  SRV_PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'Payload too large',
    description: 'The request body exceeds the server limit (1 MiB).',
  },
  SRV_UNSUPPORTED_MEDIA: {
    status: 415,
    title: 'Unsupported media type',
    description: 'The request body is not application/json.',
  },
  SRV_HEADERS_TOO_LARGE: {
    status: 431,
    title: 'Request headers too large',
    description: 'The request headers exceed the HTTP parser limit; the connection is closed.',
  },
  SRV_RATE_LIMITED: {
    status: 429,
    title: 'Too many requests',
    description: 'The caller exceeded a rate limit; a Retry-After header says when to retry.',
  },
  SRV_INTERNAL: {
    status: 500,
    title: 'Internal server error',
    description: 'An unexpected failure. Nothing about it is disclosed; quote `instance` to the operator, who finds it in the logs.',
  },
  SRV_UNAVAILABLE: {
    status: 503,
    title: 'Service unavailable',
    description: 'A dependency (database, message bus) is unreachable or the server is shutting down.',
  },
  SRV_CONFIG_INVALID: {
    status: 500,
    title: 'Invalid server configuration',
    description: 'Startup only, never sent over HTTP: a configuration variable or flag is invalid; `errors` names each one.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>

/** A stable, machine-readable server failure reason. */
export type ServerErrorCode = keyof typeof SERVER_ERROR_CODES

/** One offending input field: `path` is a JSON pointer (`/body/name`) or a variable name. */
export interface FieldError {
  readonly path: string
  readonly message: string
}

/** Options of {@link ServerError}. */
export interface ServerErrorOptions {
  readonly cause?: unknown
  /** Per-field reasons, sent to the client as the problem's `errors`. */
  readonly errors?: readonly FieldError[]
  /** Extra response headers, for example Retry-After or WWW-Authenticate. */
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * The one error class of the server shell. `message` becomes the problem's
 * `detail` for 4xx codes, so it must be safe to show the caller: never put
 * secrets, hashes or another org's data in it. For 5xx codes the message is
 * only logged.
 *
 * @example
 * throw new ServerError('SRV_CONFLICT', 'an org with this id already exists')
 * throw new ServerError('SRV_RATE_LIMITED', 'slow down', { headers: { 'retry-after': '30' } })
 */
export class ServerError<C extends ServerErrorCode = ServerErrorCode> extends Error {
  override readonly name = 'ServerError'
  readonly code: C
  readonly errors: readonly FieldError[] | undefined
  readonly headers: Readonly<Record<string, string>> | undefined

  constructor(code: C, message: string, options: ServerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.errors = options.errors === undefined ? undefined : Object.freeze([...options.errors])
    this.headers = options.headers === undefined ? undefined : Object.freeze({ ...options.headers })
  }

  /** The HTTP status that this error's code maps to. */
  get status(): (typeof SERVER_ERROR_CODES)[C]['status'] {
    return SERVER_ERROR_CODES[this.code].status
  }
}

/** True when `e` is a ServerError, optionally with the given code. */
export function isServerError<C extends ServerErrorCode>(e: unknown, code?: C): e is ServerError<C> {
  return e instanceof ServerError && (code === undefined || e.code === code)
}
