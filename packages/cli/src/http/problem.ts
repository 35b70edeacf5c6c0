/**
 * Server errors, as the CLI reports them. The server answers every failure
 * with an RFC 9457 problem document carrying a stable `code` (SRV_*, or the
 * PROTO_* code that refused the input) and a `detail` sentence; this module
 * turns one into CLI_SERVER_REFUSED:
 *
 *     palisade: the server at https://p.example refused: no such command (SRV_NOT_FOUND)
 *       hint: check the id with `palisade command list`
 *
 * The detail is server-controlled text: it is cut to a bounded length here
 * and escaped when printed (io/output.ts). An answer that is not a problem
 * document still becomes a CLI_SERVER_REFUSED naming the HTTP status.
 */
import { CliError } from '../errors.js'

/** The part of a problem document the CLI uses. */
export interface Problem {
  readonly status: number
  readonly code: string | undefined
  readonly detail: string | undefined
  readonly instance: string | undefined
  /** `path: message` of each field error the server listed (at most 5). */
  readonly errors: readonly string[]
}

const CODE = /^[A-Z][A-Z0-9_]{1,63}$/
const MAX_DETAIL = 300

/** Reads a problem document from a decoded JSON body (anything else gives only the status). */
export function readProblem(status: number, body: unknown): Problem {
  const o = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
  const text = (v: unknown, max: number): string | undefined =>
    typeof v === 'string' && v !== '' ? (v.length > max ? v.slice(0, max) + '…' : v) : undefined
  const code = typeof o['code'] === 'string' && CODE.test(o['code']) ? o['code'] : undefined
  const errors: string[] = []
  if (Array.isArray(o['errors'])) {
    for (const e of o['errors'].slice(0, 5)) {
      const path = text((e as { path?: unknown } | null)?.path, 100)
      const message = text((e as { message?: unknown } | null)?.message, 200)
      if (message !== undefined) errors.push(path === undefined ? message : `${path}: ${message}`)
    }
  }
  return {
    status,
    code,
    detail: text(o['detail'], MAX_DETAIL) ?? text(o['title'], MAX_DETAIL),
    instance: text(o['instance'], 200),
    errors,
  }
}

/**
 * The CliError for a problem answer. `action` names what was asked (for
 * the hint of a 404), e.g. 'GET /v1/orgs/acme/commands/cmd-1'.
 *
 * @example
 * throw problemError('https://p.example', readProblem(404, body))
 */
export function problemError(server: string, problem: Problem): CliError<'CLI_SERVER_REFUSED'> {
  const reason = problem.detail ?? `HTTP ${problem.status}`
  // field errors the detail does not already spell out
  const extra = problem.errors.filter((e) => !reason.includes(e.slice(e.indexOf(': ') + 2)))
  const fields = extra.length > 0 ? ` [${extra.join('; ')}]` : ''
  const code = problem.code === undefined ? '' : ` (${problem.code})`
  const details: Record<string, string | number> = { status: problem.status }
  if (problem.code !== undefined) details['serverCode'] = problem.code
  if (problem.instance !== undefined) details['instance'] = problem.instance
  return new CliError('CLI_SERVER_REFUSED', `the server at ${server} refused: ${reason}${fields}${code}`, {
    server,
    hint: hintFor(problem),
    details,
  })
}

function hintFor(p: Problem): string {
  if (p.code?.startsWith('PROTO_') === true) {
    return 'the server\'s protocol check refused what was sent: check the keys, the org and the root in force (`palisade root show`)'
  }
  switch (p.status) {
    case 400:
      return 'the request was refused as invalid: check the arguments; a CLI and server of different versions can also cause this'
    case 401:
      return 'the API key is unknown, expired or revoked: log in again with `palisade login`'
    case 403:
      return 'this API key may not do that, or the setup code is wrong or already used'
    case 404:
      return 'check the id (the list commands show them) and the org: resources of other orgs are "not found"'
    case 409:
      return 'it already exists or already happened (already signed, already set up, token used): check the current state'
    case 413:
      return 'the request is too large for the server (a long script? a huge target list?)'
    case 429:
      return 'the server is rate limiting: wait a little and try again'
    default:
      return p.status >= 500
        ? `the server failed: ask its operator${p.instance === undefined ? '' : `, quoting ${p.instance}`}`
        : 'read the server\'s reason above'
  }
}
