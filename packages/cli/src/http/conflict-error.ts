/**
 * The two 409s a user can act on, reported by the field they are about
 * (docs/WIRE.md "Directory", "Console accounts"):
 *
 * - `SRV_DUPLICATE`: a value that must be unique is taken (`/body/username`,
 *   `/body/email`, `/body/name`, `/body/owner/username`, …): the message
 *   names the field, `details.field` carries it for scripts;
 * - `SRV_CONFLICT` naming `/body/version`: someone else changed the record
 *   since it was read; `details.currentVersion` is the version now stored.
 *
 * Any other problem is problemError's, with `details.field` = the path of
 * the first field it names (`/body/add/2`). The field path and the
 * detail come from the server and are only displayed (bounded by
 * readProblem, escaped when printed).
 */
import { CliError } from '../errors.js'
import { problemError, type Problem } from './problem.js'

/** `field (path)` of the first field error, e.g. `['username', '/body/username']`. */
function firstField(p: Problem): { readonly name: string; readonly path: string } | undefined {
  const first = p.errors[0]
  if (first === undefined) return undefined
  const path = first.slice(0, first.indexOf(': ') < 0 ? first.length : first.indexOf(': '))
  if (!path.startsWith('/')) return undefined
  // /body/owner/username → "owner username": the path below /body, in words
  const name = path.replace(/^\/(body|params|query)\//, '').split('/').join(' ')
  return name === '' ? undefined : { name, path }
}

/**
 * The CliError for a problem answer: field-naming for a duplicate or a
 * stale version, problemError's otherwise.
 *
 * @example
 * throw conflictError(server, readProblem(409, body))
 * // palisade: the server at … refused: the username is already taken: another person … (SRV_DUPLICATE)
 */
export function conflictError(server: string, problem: Problem): CliError<'CLI_SERVER_REFUSED'> {
  const field = firstField(problem)
  if (field === undefined || problem.status !== 409 || (problem.code !== 'SRV_DUPLICATE' && problem.code !== 'SRV_CONFLICT')) {
    const e = problemError(server, problem)
    if (field === undefined) return e
    // any other refusal naming a field: keep its message, and give scripts the path
    return new CliError('CLI_SERVER_REFUSED', e.message, { server, hint: e.hint, details: { ...e.details, field: field.path } })
  }
  const reason = problem.detail ?? `HTTP ${problem.status}`
  const details: Record<string, string | number> = { status: problem.status, serverCode: problem.code, field: field.path }
  if (problem.instance !== undefined) details['instance'] = problem.instance
  if (problem.code === 'SRV_DUPLICATE') {
    return new CliError('CLI_SERVER_REFUSED', `the server at ${server} refused: the ${field.name} is already taken: ${reason} (SRV_DUPLICATE)`, {
      server,
      hint: `choose another ${field.name}; the list commands (with --query) show who has this one`,
      details,
    })
  }
  const current = /current version is (\d{1,10})/.exec(problem.errors[0] ?? '')?.[1]
  if (current !== undefined) details['currentVersion'] = Number(current)
  return new CliError('CLI_SERVER_REFUSED', `the server at ${server} refused: someone else changed it since it was read (${field.name}): ${reason} (SRV_CONFLICT)`, {
    server,
    hint: 'show it again, then reapply your change to the current version',
    details,
  })
}
