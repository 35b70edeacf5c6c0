/**
 * `palisade root …`: the org root of trust.
 *
 *     palisade root sign <file> --key <name> [--yes] [--passphrase-file <path>]
 *     palisade root show [--fingerprint <fp>]
 *
 * `sign` adds this machine's signature to a root v1 draft written by
 * `palisade org init --out`, after showing every field of the root. `show`
 * fetches the org's roots and verifies the chain from the pinned
 * fingerprint before showing the root in force: what it prints is what
 * devices trust, not what the server says.
 */
import type { Command } from 'commander'
import { isProtocolError, verifyRootChain } from '@palisade/protocol'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { getRoots } from '../http/org-api.js'
import { openOrgSession } from '../http/session.js'
import { passphraseFileOption } from '../io/passphrase.js'
import { describeRoot, rootJson } from '../payload/describe-root.js'
import { adminOf, signRootDraft } from '../payload/root-draft.js'
import { readRootDraftFile, writeRootDraftFile } from '../payload/root-draft-file.js'
import { confirmSigning, keyInfo, unlockForSigning } from '../payload/signing.js'
import { parseFingerprint, requirePin } from '../trust/pins.js'
import { parseName, quote } from '../validate.js'

/** Registers `palisade root` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const root = program.command('root').description('the org root of trust: sign a draft, show the root in force')

  root
    .command('sign')
    .description('add your signature to a root v1 draft (from `palisade org init --out`), after reviewing it')
    .argument('<file>', 'the draft file; it is updated in place')
    .requiredOption('--key <name>', 'the local key to sign with', parseName)
    .option('--yes', 'do not ask for confirmation (review the draft first)')
    .addOption(passphraseFileOption())
    .action(async (file: string, opts: { key: string; yes?: boolean; passphraseFile?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const draft = await readRootDraftFile(file)
      const info = await keyInfo(inv, opts.key)
      const admin = adminOf(draft.root, info.publicKey)
      if (admin === undefined) {
        throw new CliError('CLI_KEY_NOT_ADMIN', `key ${quote(opts.key)} is not an admin key of the root of org ${quote(draft.root.org)}`)
      }
      const urls = new Map(draft.witnesses.map((w) => [w.key, w.url]))
      const description = `Root v1 draft in ${file}:\n${describeRoot(draft.root, draft.fingerprint, urls)}signed by: ${draft.signedBy.join(', ') || 'nobody yet'}\n`
      await confirmSigning(ctx, description, `Sign this root as ${quote(admin.name)}?`, opts.yes === true)
      const key = await unlockForSigning(inv, opts.key, opts.passphraseFile)
      let signed
      try {
        signed = await signRootDraft(draft, key)
      } finally {
        key.seed.fill(0)
      }
      await writeRootDraftFile(file, signed, true)
      const required = signed.root.thresholds.root
      const ready = signed.signedBy.length >= required
      inv.out.result(
        { draft: file, org: signed.root.org, fingerprint: signed.fingerprint, signedBy: [...signed.signedBy], required, ready },
        () =>
          `Signed the root of org ${quote(signed.root.org)} as ${quote(admin.name)} (${signed.signedBy.length} of ${required} signatures).\n` +
          (ready
            ? `Ready: upload it with \`palisade org init --server <url> --setup-code <code> --root ${file}\`.`
            : `Pass ${file} on to the next admin.`),
      )
    })

  root
    .command('show')
    .description('show the root in force, verified from the pinned fingerprint')
    .option('--fingerprint <fp>', 'verify from this fingerprint instead of the pinned one', parseFingerprint)
    .action(async (opts: { fingerprint?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const session = await openOrgSession(inv)
      const pin = await requirePin(inv.home, session.org, opts.fingerprint)
      const envelopes = await getRoots(session)
      let chain
      try {
        // the expiry check is the caller's: show an expired root rather than nothing
        chain = verifyRootChain({ pinned: pin }, envelopes, 0)
      } catch (e) {
        if (!isProtocolError(e)) throw e
        throw new CliError('CLI_SERVER_UNTRUSTED', `the roots the server at ${session.server} serves do not verify from fingerprint ${pin}: ${e.message}`, {
          server: session.server,
          cause: e,
        })
      }
      const current = chain[chain.length - 1]!
      const expired = Math.floor(Date.now() / 1000) >= current.root.expiresAt
      inv.out.result({ ...rootJson(current.root, current.fingerprint), pinned: pin, versions: chain.length, expired }, () =>
        `Root v${current.root.version} of org ${quote(current.root.org)}, verified from the pinned fingerprint ${pin}${expired ? ' (EXPIRED)' : ''}:\n` +
        describeRoot(current.root, current.fingerprint),
      )
    })
}
