/**
 * Turns a unique-index violation into 409 SRV_DUPLICATE naming the field
 * whose value is taken, so a duplicate is reported the same way whether a
 * pre-check could have seen it or two requests raced to the index.
 */
import { ServerError } from '../errors.js'
import { uniqueViolationColumns } from './unique-violation.js'

/**
 * Runs `write`; a unique violation on one of `fields` (column → body field)
 * becomes SRV_DUPLICATE naming that field; other errors pass through.
 *
 * @example
 * await refuseDuplicates(() => db.insertInto('people').values(row).execute(),
 *   { username_key: 'username', email_key: 'email' }, 'person')
 */
export async function refuseDuplicates<T>(write: () => Promise<T>, fields: Readonly<Record<string, string>>, what: string): Promise<T> {
  try {
    return await write()
  } catch (e) {
    const columns = uniqueViolationColumns(e)
    const column = columns?.find((c) => fields[c] !== undefined)
    if (column === undefined) throw e
    const field = fields[column]!
    throw new ServerError('SRV_DUPLICATE', `another ${what} of this organisation already has this ${field}`, {
      cause: e,
      errors: [{ path: `/body/${field}`, message: `is already used by another ${what} of this organisation (compared ignoring case)` }],
    })
  }
}
