/**
 * The server's pino logger, with secrets redacted before they are written.
 *
 * Logs leave the server (collectors, support bundles) and are read by more
 * people than the database, so credentials must never reach them: bearer
 * tokens, cookies, API keys, enrollment tokens, setup codes, passwords, the
 * log's signing key, the secret key that seals TOTP secrets, TOTP secrets
 * themselves and the database URL (which may carry a password), under
 * their config names and their environment variable names alike.
 * Redaction is by property name at any depth up to four levels (pino
 * paths have no recursive wildcard), and by query parameter name in the
 * logged request URL.
 */
import { pino, type DestinationStream, type Logger } from 'pino'
import type { FastifyRequest } from 'fastify'
import type { LogLevel } from './config.js'

/** Property names whose values are never logged (matched case-sensitively). */
export const REDACTED_KEYS: readonly string[] = Object.freeze([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key',
  'token', 'accessToken', 'refreshToken', 'enrollmentToken', 'enrollment_token',
  'secret', 'clientSecret', 'apiKey', 'api_key', 'password', 'passphrase',
  'setupCode', 'setup_code', 'privateKey', 'private_key', 'signer_key', 'signerKey',
  'databaseUrl', 'database_url', 'connectionString',
  'secretKey', 'secret_key', 'totpSecret', 'totp_secret', 'currentPassword', 'newPassword', 'csrfToken',
  'PALISADE_SECRET_KEY', 'PALISADE_DATABASE_URL',
])

/** Query parameters whose values are replaced in logged URLs. */
const SECRET_QUERY = /token|secret|password|passphrase|code|key|auth|sig/i

/** The pino redaction paths for {@link REDACTED_KEYS}, at depths 0 to 3. */
export function redactionPaths(keys: readonly string[] = REDACTED_KEYS): string[] {
  const prefixes = ['', '*.', '*.*.', '*.*.*.']
  return keys.flatMap((k) => {
    const ident = /^[A-Za-z_$][\w$]*$/.test(k)
    return prefixes.map((p) => (ident ? `${p}${k}` : `${p.slice(0, -1)}[${JSON.stringify(k)}]`))
  })
}

/**
 * A logger writing JSON lines to `destination` (default stdout), redacting
 * secrets. Pass it to buildApp as `logger`.
 *
 * @example
 * const logger = createLogger('info')
 * logger.info({ headers: req.headers }, 'seen') // authorization: "[redacted]"
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: redactionPaths(), censor: '[redacted]' },
    serializers: { req: serializeRequest },
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}

/** Fastify's request serializer minus the secrets a URL may carry. */
function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip }
}

/**
 * Replaces the values of secret-looking query parameters.
 *
 * @example
 * redactUrl('/v1/enroll?token=abc&x=1') // '/v1/enroll?token=REDACTED&x=1'
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const params = new URLSearchParams(url.slice(q + 1))
  for (const name of new Set(params.keys())) {
    if (SECRET_QUERY.test(name)) params.set(name, 'REDACTED')
  }
  return `${url.slice(0, q)}?${params.toString()}`
}
