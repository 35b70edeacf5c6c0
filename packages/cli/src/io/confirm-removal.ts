/**
 * The question asked before a deletion that cannot be undone (`people rm`,
 * `groups rm`): on a terminal the user types "yes"; without one the command
 * refuses unless --yes was given, so a script never deletes by accident
 * and never hangs on a prompt nobody sees.
 */
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { printable } from './output.js'
import { ttyPrompt } from './passphrase.js'

/**
 * Returns when the removal is confirmed (at once with `yes`). Throws
 * CLI_CONFIRMATION_REQUIRED without a terminal, CLI_ABORTED on any answer but "y"/"yes".
 *
 * @example
 * await confirmRemoval(ctx, 'person "alice" (person-0a1b…), in 2 groups', opts.yes === true)
 */
export async function confirmRemoval(ctx: CliContext, what: string, yes: boolean): Promise<void> {
  if (yes) return
  const prompt = ctx.deps.prompt ?? ttyPrompt
  const answer = await prompt(printable(`Delete ${what}? This cannot be undone. Type "yes" to delete: `))
  if (answer === undefined) {
    throw new CliError('CLI_CONFIRMATION_REQUIRED', `nothing was deleted: deleting ${what} needs a confirmation, and there is no terminal to ask on`, { hint: 'check the id, then pass --yes' })
  }
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new CliError('CLI_ABORTED', 'nothing was deleted', { hint: 'run the command again when you are sure' })
}
