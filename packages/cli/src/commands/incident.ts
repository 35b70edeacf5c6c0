/**
 * `palisade incident …`: the tools for the day the server is found breached.
 *
 *     palisade incident freeze --out <file> [--fingerprint <fp>]
 *     palisade incident unfreeze --out <file> [--fingerprint <fp>]
 *     palisade incident rotate-credentials --out <file> --yes [--fingerprint <fp>]
 *
 * rotate-credentials (incident-rotate.ts) revokes and reissues every
 * credential the server issued and drafts a root version with a new log key.
 *
 * A freeze is a root rotation that changes one field, `frozen`: every
 * device that follows the chain to the frozen version refuses every command
 * (PROTO_FROZEN), whoever signed it, until a later version unfreezes. Like
 * any rotation it needs a root threshold of the old root's keys and of the
 * new one's (the same keys here), so a stolen admin key alone can neither
 * freeze nor unfreeze, and a breached server can do neither. These commands
 * write the draft (root-rotation.ts); admins sign it with `palisade root
 * sign` and one uploads it with `palisade root upload`.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { parseFingerprint } from '../trust/pins.js'
import { registerRotateCredentials } from './incident-rotate.js'
import { draftRotation } from './root-rotation.js'

interface IncidentOptions {
  out: string
  fingerprint?: string
}

/** Registers `palisade incident` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const incident = program.command('incident').description('incident response: rotate every credential, freeze and unfreeze every device of the org')

  incident
    .command('freeze')
    .description('draft a root version that makes every device refuse all commands (needs the root threshold of admins to sign)')
    .requiredOption('--out <file>', 'write the draft here (never replaces a file)')
    .option('--fingerprint <fp>', 'verify the chain from this fingerprint instead of the pinned one', parseFingerprint)
    .action(async (opts: IncidentOptions, cmd: Command) => {
      await draftRotation(ctx.invocation(cmd), { frozen: true }, opts.out, opts.fingerprint, {
        what: 'the freeze',
        after:
          'Once uploaded, each device refuses every command (PROTO_FROZEN) from the moment it receives the frozen root,\n' +
          'including commands signed before the freeze. End it with `palisade incident unfreeze --out <file>`.',
      })
    })

  incident
    .command('unfreeze')
    .description('draft a root version that ends a freeze (needs the root threshold of admins to sign)')
    .requiredOption('--out <file>', 'write the draft here (never replaces a file)')
    .option('--fingerprint <fp>', 'verify the chain from this fingerprint instead of the pinned one', parseFingerprint)
    .action(async (opts: IncidentOptions, cmd: Command) => {
      await draftRotation(ctx.invocation(cmd), { frozen: false }, opts.out, opts.fingerprint, {
        what: 'the unfreeze',
        after: 'Before uploading: make sure the cause of the freeze is dealt with (keys rotated with `palisade root rotate`, server rebuilt).',
      })
    })

  registerRotateCredentials(incident, ctx)
}
