/**
 * `palisade root …`: the org root of trust.
 *
 *     palisade root sign <file> --key <name> [--yes] [--passphrase-file <path>] [--fingerprint <fp>]
 *     palisade root show [--fingerprint <fp>]
 *     palisade root rotate --out <file> [--add-admin NAME=PUB | --add-admin-key KEYNAME]… [--remove-admin NAME]…
 *         [--threshold kind=n,…] [--add-witness VKEY@URL]… [--remove-witness NAME]… [--quorum N]
 *         [--expires 365d] [--max-command-validity 7d] [--freeze | --unfreeze] [--fingerprint <fp>]
 *     palisade root upload <file> [--fingerprint <fp>]
 *
 * `sign` adds this machine's signature to a root draft, after showing every
 * field of the root: a v1 draft written by `palisade org init --out`, or a
 * rotation draft written by `root rotate` / `incident freeze`, whose chain
 * must verify from the pinned fingerprint and whose changes versus the
 * root in force are shown first; it then says how many signatures each key
 * set (the old root's, the new root's) still needs. `show` fetches the
 * org's roots and verifies the chain from the pinned fingerprint before
 * showing the root in force: what it prints is what devices trust, not
 * what the server says. `rotate` drafts version N+1 of the verified root in
 * force with the changes asked for; `upload` checks both root thresholds
 * locally (protocol verifyRootUpdate), uploads the rotation and verifies
 * the chain the server then serves (root-rotation.ts).
 */
import { Option, type Command } from 'commander'
import { isProtocolError, verifyRootChain, type ActionKind } from '@palisade/protocol'
import { durationOption, integerOption } from '../args/duration.js'
import { parseAdminOption, parseMonitorUrlOption, parseWitnessOption, type AdminSpec, type WitnessSpec } from '../args/root-options.js'
import { parseThresholdChangesOption } from '../args/rotation-options.js'
import type { CliContext, Invocation } from '../context.js'
import { CliError } from '../errors.js'
import { getRoots } from '../http/org-api.js'
import { openOrgSession } from '../http/session.js'
import { passphraseFileOption } from '../io/passphrase.js'
import { describeRoot, rootJson } from '../payload/describe-root.js'
import { formatRootChanges } from '../payload/describe-root-change.js'
import type { RootChanges } from '../payload/root-changes.js'
import { draftSignerOf, signRootDraft, type RootDraft } from '../payload/root-draft.js'
import { describeProgress, requireAnchor, rotationProgress } from '../payload/root-rotation.js'
import { readRootDraftFile, writeRootDraftFile } from '../payload/root-draft-file.js'
import { confirmSigning, keyInfo, unlockForSigning } from '../payload/signing.js'
import { parseFingerprint, requirePin } from '../trust/pins.js'
import { parseName, parseServerUrl, quote } from '../validate.js'
import { draftRotation, signedRotationJson, signedRotationText, uploadRotation } from './root-rotation.js'

interface RotateOptions {
  out: string
  addAdmin: AdminSpec[]
  addAdminKey: string[]
  removeAdmin: string[]
  threshold?: Readonly<Partial<Record<ActionKind, number>>>
  addWitness: WitnessSpec[]
  removeWitness: string[]
  quorum?: number
  expires?: number
  maxCommandValidity?: number
  monitorUrl?: string[]
  /** false with --no-monitors. */
  monitors?: boolean
  checkpointMaxAge?: number
  freeze?: boolean
  unfreeze?: boolean
  fingerprint?: string
}

const collect =
  <T>(parse: (v: string) => T) =>
  (value: string, previous: T[] = []): T[] => [...previous, parse(value)]

/** Registers `palisade root` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const root = program.command('root').description('the org root of trust: sign a draft, show the root in force')

  root
    .command('sign')
    .description('add your signature to a root draft (from `palisade org init --out`, `root rotate` or `incident freeze`), after reviewing it')
    .argument('<file>', 'the draft file; it is updated in place')
    .requiredOption('--key <name>', 'the local key to sign with', parseName)
    .option('--yes', 'do not ask for confirmation (review the draft first)')
    .option('--fingerprint <fp>', 'for a rotation: check its chain from this fingerprint instead of the pinned one', parseFingerprint)
    .addOption(passphraseFileOption())
    .action(async (file: string, opts: { key: string; yes?: boolean; passphraseFile?: string; fingerprint?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const draft = await readRootDraftFile(file, 'any')
      const info = await keyInfo(inv, opts.key)
      const admin = draftSignerOf(draft, info.publicKey)
      if (admin === undefined) {
        throw new CliError('CLI_KEY_NOT_ADMIN', `key ${quote(opts.key)} is not an admin key of the root of org ${quote(draft.root.org)}${draft.rotation === undefined ? '' : ` (v${draft.rotation.current.root.version} or v${draft.root.version})`}`)
      }
      const description = await describeDraft(inv, draft, file, opts.fingerprint)
      await confirmSigning(ctx, description, `Sign this root as ${quote(admin.name)}?`, opts.yes === true)
      const key = await unlockForSigning(inv, opts.key, opts.passphraseFile)
      let signed
      try {
        signed = await signRootDraft(draft, key)
      } finally {
        key.seed.fill(0)
      }
      await writeRootDraftFile(file, signed, true)
      if (signed.rotation !== undefined) {
        const progress = signedRotationJson(signed)
        return void inv.out.result(
          { draft: file, org: signed.root.org, version: signed.root.version, fingerprint: signed.fingerprint, signedBy: [...signed.signedBy], ...progress },
          () => `Signed root v${signed.root.version} of org ${quote(signed.root.org)} as ${quote(admin.name)}.\n` + signedRotationText(signed, file),
        )
      }
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

  root
    .command('rotate')
    .description('draft root version N+1 of the verified root in force, with the changes given, for admins to sign')
    .requiredOption('--out <file>', 'write the draft here (never replaces a file)')
    .option('--add-admin <name=base64pub>', 'add an admin by name and Ed25519 public key (repeatable)', collect(parseAdminOption), [])
    .option('--add-admin-key <keyname>', 'add an admin whose public key is in the local keystore, named after the key (repeatable)', collect(parseName), [])
    .option('--remove-admin <name>', 'remove an admin (repeatable; with --add-admin of the same name: a new key)', collect(parseName), [])
    .option('--threshold <spec>', 'change signature thresholds: root=3,command=2 (the kinds given) or one number for all', (v: string, prev: Readonly<Partial<Record<ActionKind, number>>> = {}) => ({ ...prev, ...parseThresholdChangesOption(v) }))
    .option('--add-witness <vkey@url>', "add a witness: its cosignature/v1 verifier key and URL (repeatable)", collect(parseWitnessOption), [])
    .option('--remove-witness <name>', 'remove a witness, by name or verifier key (repeatable)', collect((v: string) => v), [])
    .option('--quorum <n>', 'how many witnesses must cosign each checkpoint (default: unchanged)', integerOption('--quorum', 0, 32))
    .option('--expires <duration>', 'how long the new version is valid, from now (default: the current expiry is kept)', durationOption('--expires', 86400, 10 * 366 * 86400))
    .option('--max-command-validity <duration>', 'the longest validity window a command may have (default: unchanged)', durationOption('--max-command-validity', 60, 366 * 86400))
    .option('--monitor-url <url>', 'the monitors agents send rejections and alerts to; replaces the list (repeatable; default: unchanged)', (v: string, prev: string[] = []) => [...prev, parseMonitorUrlOption(v)])
    .addOption(new Option('--no-monitors', 'remove every monitor').conflicts('monitorUrl'))
    .option('--checkpoint-max-age <duration>', 'the staleness bound for devices, 5m to 30d (default: unchanged)', durationOption('--checkpoint-max-age', 300, 30 * 86400))
    .addOption(new Option('--freeze', 'freeze the org: devices refuse every command until a later version unfreezes it').conflicts('unfreeze'))
    .addOption(new Option('--unfreeze', 'end a freeze'))
    .option('--fingerprint <fp>', 'verify the chain from this fingerprint instead of the pinned one', parseFingerprint)
    .action(async (opts: RotateOptions, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const addAdmins = [...opts.addAdmin]
      for (const name of opts.addAdminKey) addAdmins.push({ name, publicKey: (await keyInfo(inv, name)).publicKey })
      const changes: RootChanges = {
        addAdmins,
        removeAdmins: opts.removeAdmin,
        ...(opts.threshold === undefined ? {} : { thresholds: opts.threshold }),
        addWitnesses: opts.addWitness,
        removeWitnesses: opts.removeWitness,
        ...(opts.quorum === undefined ? {} : { quorum: opts.quorum }),
        ...(opts.expires === undefined ? {} : { validForSeconds: opts.expires }),
        ...(opts.maxCommandValidity === undefined ? {} : { maxCommandValiditySeconds: opts.maxCommandValidity }),
        ...(opts.monitors === false ? { monitors: [] } : opts.monitorUrl === undefined ? {} : { monitors: opts.monitorUrl }),
        ...(opts.checkpointMaxAge === undefined ? {} : { checkpointMaxAgeSeconds: opts.checkpointMaxAge }),
        ...(opts.freeze === true ? { frozen: true } : opts.unfreeze === true ? { frozen: false } : {}),
      }
      await draftRotation(inv, changes, opts.out, opts.fingerprint, { what: 'the rotation' })
    })

  root
    .command('upload')
    .description('upload a rotation draft once enough old and new admin keys signed it, and verify the chain the server then serves')
    .argument('<file>', 'the signed rotation draft')
    .option('--fingerprint <fp>', 'verify the chain from this fingerprint instead of the pinned one', parseFingerprint)
    .option(
      '--witness-url <url>',
      "a witness to show the new root chain to (POST /add-root) before the server gets it; repeat for each of the org's witnesses",
      (v: string, prev: string[]) => [...prev, parseServerUrl(v)],
      [] as string[],
    )
    .action(async (file: string, opts: { fingerprint?: string; witnessUrl: string[] }, cmd: Command) => {
      await uploadRotation(ctx.invocation(cmd), file, opts.fingerprint, opts.witnessUrl)
    })
}

/**
 * What a signer reviews: every field of the root, and for a rotation first
 * its chain checked from the pin, what changes, and who signed so far.
 */
async function describeDraft(inv: Invocation, draft: RootDraft, file: string, fingerprint: string | undefined): Promise<string> {
  const urls = new Map(draft.witnesses.map((w) => [w.key, w.url]))
  if (draft.rotation === undefined) {
    return `Root v1 draft in ${file}:\n${describeRoot(draft.root, draft.fingerprint, urls)}signed by: ${draft.signedBy.join(', ') || 'nobody yet'}\n`
  }
  const pin = await requirePin(inv.home, draft.root.org, fingerprint)
  const base = requireAnchor(draft, pin, file)
  const current = base.current
  return (
    `Root v${draft.root.version} draft in ${file}: a rotation of org ${quote(draft.root.org)}, following v${current.root.version} ` +
    `(${current.fingerprint}), whose chain verifies from the pinned fingerprint ${pin}.\n` +
    (draft.root.frozen && !current.root.frozen ? 'THIS FREEZES THE ORG: devices will refuse every command until a later version unfreezes it.\n' : '') +
    formatRootChanges(current.root, draft.root) +
    `The new root in full:\n${describeRoot(draft.root, draft.fingerprint, urls)}` +
    describeProgress(rotationProgress(draft))
  )
}
