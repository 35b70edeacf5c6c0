/**
 * `palisade org init`: create an org on a fresh server from root v1, the
 * org's root of trust, built and signed on admins' machines.
 *
 *     palisade org init --server <url> --setup-code <code> --org <id>
 *         (--admin NAME=BASE64PUB | --admin-key KEYNAME)… --threshold command=2,policy=2,root=2,device=1
 *         [--witness VKEY@URL]… [--quorum N] [--expires 365d] [--max-command-validity 7d]
 *         [--sign-with KEYNAME]… [--passphrase-file PATH] [--out FILE]
 *         [--owner-username U --owner-email E --owner-name N [--owner-password-file PATH]]
 *     palisade org init --server <url> --setup-code <code> --root FILE [--sign-with KEYNAME]… [--owner-…]
 *
 * Steps: ask the server for the org's log key; build root v1 (admins,
 * thresholds, witnesses, the log key and origin, expiry); sign it with each
 * --sign-with key of the local keystore. With --out the draft is written
 * for other admins to sign (`palisade root sign FILE --key NAME`) and the
 * command ends; with --root a draft signed elsewhere is uploaded. Upload
 * requires the root threshold of signatures; the server answers with the
 * first API key, which is saved in the config, and the fingerprint is
 * pinned locally. The server's word on the fingerprint is checked against
 * the one computed here. With the --owner-… flags the upload also creates
 * the org's first console account, as its owner (org-owner.ts).
 */
import { join } from 'node:path'
import type { Command } from 'commander'
import { isProtocolError, note, verifyAnchorRoot, type ActionKind } from '@palisade/protocol'
import { durationOption, formatDuration, integerOption } from '../args/duration.js'
import { parseAdminOption, parseMonitorUrlOption, parseOrgId, parseThresholdsOption, parseWitnessOption, type AdminSpec, type WitnessSpec } from '../args/root-options.js'
import { Secret, configPath, saveConfig } from '../config/config.js'
import type { CliContext, Invocation } from '../context.js'
import { CliError, isCliError } from '../errors.js'
import { ensurePrivateDirectory } from '../io/atomic-file.js'
import { ApiClient } from '../http/client.js'
import { completeSetup, requestLogKey } from '../http/setup-api.js'
import { formatFields, type JsonValue } from '../io/output.js'
import { passphraseFileOption } from '../io/passphrase.js'
import { buildRootV1 } from '../payload/root-build.js'
import { adminOf, draftEnvelopeText, newRootDraft, signRootDraft, type RootDraft } from '../payload/root-draft.js'
import { readRootDraftFile, writeRootDraftFile } from '../payload/root-draft-file.js'
import { keyInfo, unlockForSigning } from '../payload/signing.js'
import type { SetupOwner } from '../http/setup-api.js'
import { addOwnerOptions, ownerAccount, wantsOwner, type OwnerOptions } from './org-owner.js'
import { savePin } from '../trust/pins.js'
import { parseName, quote } from '../validate.js'

interface InitOptions extends OwnerOptions {
  setupCode: string
  org?: string
  admin: AdminSpec[]
  adminKey: string[]
  threshold?: Readonly<Record<ActionKind, number>>
  witness: WitnessSpec[]
  quorum?: number
  expires: number
  maxCommandValidity: number
  monitorUrl: string[]
  checkpointMaxAge: number
  signWith: string[]
  passphraseFile?: string
  out?: string
  root?: string
}

const collect =
  <T>(parse: (v: string) => T) =>
  (value: string, previous: T[] = []): T[] => [...previous, parse(value)]

/** Registers `palisade org` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const org = program.command('org').description('set up an org (its root of trust) on a server')

  const init = org
    .command('init')
    .description('build and sign root v1 of a new org, and set the org up on a fresh server')
    .requiredOption('--setup-code <code>', 'the one-time setup code the server printed at its first start')
    .option('--org <id>', 'org id: 1 to 63 of a-z 0-9 -', parseOrgId)
    .option('--admin <name=base64pub>', 'an admin by name and Ed25519 public key (repeat for each admin)', collect(parseAdminOption), [])
    .option('--admin-key <keyname>', 'an admin whose public key is in the local keystore; the key name is the admin name (repeatable)', collect(parseName), [])
    .option('--threshold <spec>', 'signatures required per action: command=2,policy=2,root=2,device=1 (or one number for all)', parseThresholdsOption)
    .option('--witness <vkey@url>', "a witness's cosignature/v1 verifier key and URL (repeat for each witness)", collect(parseWitnessOption), [])
    .option('--quorum <n>', 'how many witnesses must cosign each checkpoint (default: all of them)', integerOption('--quorum', 0, 32))
    .option('--expires <duration>', 'how long root v1 is valid', durationOption('--expires', 86400, 10 * 366 * 86400), 365 * 86400)
    .option('--max-command-validity <duration>', 'the longest validity window a command may have', durationOption('--max-command-validity', 60, 366 * 86400), 7 * 86400)
    .option('--monitor-url <url>', 'a monitor agents also send every rejection and alert to: https, or http on this host (repeatable)', collect(parseMonitorUrlOption), [])
    .option('--checkpoint-max-age <duration>', 'devices raise a staleness alert when they have seen no checkpoint cosigned within this (5m to 30d)', durationOption('--checkpoint-max-age', 300, 30 * 86400), 86400)
    .option('--sign-with <keyname>', 'sign root v1 with this local key (repeatable)', collect(parseName), [])
    .addOption(passphraseFileOption())
    .option('--out <file>', 'write the draft (root and signatures so far) for other admins to sign, and stop')
    .option('--root <file>', 'upload a root draft that other admins signed (with `palisade root sign`)')
  addOwnerOptions(init)
  init.action(async (opts: InitOptions, cmd: Command) => {
    const inv = ctx.invocation(cmd)
    if (opts.out !== undefined && wantsOwner(opts)) throw usage('the owner account is created at the upload: give the --owner-… flags with --root, not with --out')
    // asked before any key is unlocked or anything is sent, so a typo costs nothing
    const owner = await ownerAccount(ctx, opts)
    const server = await inv.serverUrl()
    const api = new ApiClient({ server })
    let draft = opts.root === undefined ? await buildDraft(inv, api, opts) : await loadDraft(inv, api, opts, opts.root)
    draft = await signWith(inv, draft, opts.signWith, opts.passphraseFile)
    if (opts.out !== undefined) {
      await writeRootDraftFile(opts.out, draft, false)
      return void inv.out.result(draftJson(draft, opts.out), () => draftText(draft, opts.out!))
    }
    await upload(inv, api, opts.setupCode, draft, opts.root === undefined, owner)
  })
}

async function buildDraft(inv: Invocation, api: ApiClient, opts: InitOptions): Promise<RootDraft> {
  if (opts.org === undefined) throw usage('--org <id> is required (or --root <file>)')
  if (opts.threshold === undefined) throw usage('--threshold is required, e.g. --threshold command=2,policy=2,root=2,device=1')
  const admins = [...opts.admin]
  for (const name of opts.adminKey) admins.push({ name, publicKey: (await keyInfo(inv, name)).publicKey })
  if (admins.length === 0) throw usage('name the admins with --admin NAME=BASE64PUB or --admin-key KEYNAME')
  for (const name of opts.signWith) {
    const info = await keyInfo(inv, name)
    if (!admins.some((a) => a.publicKey.every((b, i) => b === info.publicKey[i]))) {
      throw new CliError('CLI_KEY_NOT_ADMIN', `--sign-with ${quote(name)}: that key is not among the admins of the root`, {
        hint: `add it with --admin-key ${name}, or sign with an admin's key`,
      })
    }
  }
  if (opts.witness.length === 0) inv.out.note('warning: no --witness: nobody outside the server will cosign the log (guarantee G2 needs witnesses)')

  const log = await requestLogKey(api, opts.setupCode, opts.org)
  checkLogKey(api.server, opts.org, log)
  const built = buildRootV1({
    org: opts.org,
    admins,
    thresholds: opts.threshold,
    witnesses: { quorum: opts.quorum ?? opts.witness.length, keys: opts.witness.map((w) => w.key) },
    log: { origin: log.origin, key: log.logKey },
    issuedAt: Math.floor(Date.now() / 1000),
    validForSeconds: opts.expires,
    maxCommandValiditySeconds: opts.maxCommandValidity,
    monitors: opts.monitorUrl,
    checkpointMaxAgeSeconds: opts.checkpointMaxAge,
  })
  return newRootDraft(built.payload, opts.witness)
}

async function loadDraft(inv: Invocation, api: ApiClient, opts: InitOptions, path: string): Promise<RootDraft> {
  const conflicting = [
    opts.admin.length > 0 && '--admin',
    opts.adminKey.length > 0 && '--admin-key',
    opts.threshold !== undefined && '--threshold',
    opts.witness.length > 0 && '--witness',
    opts.quorum !== undefined && '--quorum',
    opts.monitorUrl.length > 0 && '--monitor-url',
    opts.out !== undefined && '--out',
  ].filter((x): x is string => x !== false)
  if (conflicting.length > 0) throw usage(`--root uploads a finished draft: ${conflicting.join(', ')} cannot change it`)
  const draft = await readRootDraftFile(path)
  if (opts.org !== undefined && opts.org !== draft.root.org) throw usage(`the draft is for org ${quote(draft.root.org)}, not ${quote(opts.org)}`)
  // the same question the server answers at setup, asked first for a clearer error
  const log = await requestLogKey(api, opts.setupCode, draft.root.org)
  checkLogKey(api.server, draft.root.org, log)
  if (log.logKey !== draft.root.log.key || log.origin !== draft.root.log.origin) {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `the draft names another log key than the server at ${api.server} holds for org ${quote(draft.root.org)}`, {
      hint: 'a draft is made against one server: build it again with `palisade org init --out` against this server',
    })
  }
  inv.out.note(`Loaded the draft of org ${quote(draft.root.org)}, signed by ${draft.signedBy.join(', ') || 'nobody yet'}.`)
  return draft
}

async function signWith(inv: Invocation, draft: RootDraft, names: readonly string[], passphraseFile: string | undefined): Promise<RootDraft> {
  let out = draft
  for (const name of names) {
    if (adminOf(out.root, (await keyInfo(inv, name)).publicKey) === undefined) {
      throw new CliError('CLI_KEY_NOT_ADMIN', `key ${quote(name)} is not an admin key of the root of org ${quote(out.root.org)}`)
    }
    const key = await unlockForSigning(inv, name, passphraseFile)
    try {
      out = await signRootDraft(out, key)
    } finally {
      key.seed.fill(0)
    }
  }
  return out
}

async function upload(inv: Invocation, api: ApiClient, setupCode: string, draft: RootDraft, keepOnFailure: boolean, owner: SetupOwner | undefined): Promise<void> {
  const root = draft.root
  try {
    verifyAnchorRoot(draft.envelope, draft.fingerprint)
  } catch (e) {
    if (isProtocolError(e, 'PROTO_ROOT_SIG')) {
      throw new CliError('CLI_ROOT_UNDERSIGNED', `root v1 carries ${draft.signedBy.length} of the ${root.thresholds.root} admin signatures its root threshold requires`)
    }
    throw e
  }
  let answer
  try {
    answer = await completeSetup(api, setupCode, draftEnvelopeText(draft), draft.witnesses, owner)
  } catch (e) {
    // 503: the witnesses did not cosign (often: they do not know the log
    // yet). A retry must offer the very same root, so keep it.
    if (!keepOnFailure || !isCliError(e, 'CLI_SERVER_REFUSED') || e.details?.['status'] !== 503) throw e
    const path = join(inv.home, `root-v1-draft-${root.org}.json`)
    await ensurePrivateDirectory(inv.home)
    await writeRootDraftFile(path, draft, true)
    throw new CliError('CLI_SERVER_REFUSED', e.message, {
      server: api.server,
      cause: e,
      ...(e.details === undefined ? {} : { details: e.details }),
      hint: `the root was kept in ${path}: register the log with each witness (\`palisade witness add-log --key ${root.log.key} --root-fingerprint ${draft.fingerprint}\`), then retry with \`palisade org init --setup-code <code> --root ${path}\``,
    })
  }
  if (owner !== undefined && answer.owner === undefined) inv.out.note('warning: the server did not confirm the owner console account; check with `palisade api-key list` and the console')
  if (answer.fingerprint !== draft.fingerprint || answer.org !== root.org) {
    throw new CliError('CLI_SERVER_UNTRUSTED', `the server at ${api.server} reports org ${quote(answer.org)} with root fingerprint ${answer.fingerprint}, but the root signed here is org ${quote(root.org)} with fingerprint ${draft.fingerprint}`, {
      server: api.server,
      hint: 'nothing was saved locally; do not enroll devices with this server',
    })
  }
  const apiKey = new Secret(answer.apiKey)
  await saveConfig(inv.home, { ...(await inv.config()), server: api.server, orgId: root.org, apiToken: apiKey })
  await savePin(inv.home, root.org, draft.fingerprint)
  inv.out.result(
    {
      org: root.org, server: api.server, fingerprint: draft.fingerprint, rootVersion: 1, signedBy: [...draft.signedBy], apiKeyPrefix: apiKey.prefix, config: configPath(inv.home),
      ...(answer.owner === undefined ? {} : { owner: { id: answer.owner.id, username: answer.owner.username, role: 'owner' } }),
    },
    () =>
      `Org ${quote(root.org)} is set up on ${api.server}.\n\n` +
      'Root fingerprint (devices pin it; give it to other admins out of band):\n\n' +
      `    ${draft.fingerprint}\n\n` +
      formatFields([
        ['signed by', draft.signedBy.join(', ')],
        ['expires', new Date(root.expiresAt * 1000).toISOString()],
        ['API key', `${apiKey.prefix} (saved in ${configPath(inv.home)})`],
        ...(answer.owner === undefined ? [] : [['console owner', `${quote(answer.owner.username)} was created (sign in to the console with it)`] as const]),
      ]) +
      '\nNext: `palisade token create` prints the command that enrolls a device.',
  )
}

/** The log key must be an Ed25519 note key named after the log origin (docs/WIRE.md). */
function checkLogKey(server: string, org: string, log: { org: string; origin: string; logKey: string }): void {
  let name: string
  try {
    name = note.verifierFromString(log.logKey).name
  } catch (e) {
    throw new CliError('CLI_SERVER_RESPONSE', `the server at ${server} sent a log key that is not an Ed25519 note verifier key`, { server, cause: e })
  }
  if (log.org !== org || name !== log.origin) {
    throw new CliError('CLI_SERVER_RESPONSE', `the server at ${server} sent the log key ${quote(name)} for org ${quote(log.org)} and origin ${quote(log.origin)}, not for org ${quote(org)}`, { server })
  }
}

function draftJson(draft: RootDraft, path: string): { readonly [k: string]: JsonValue } {
  return {
    draft: path,
    org: draft.root.org,
    fingerprint: draft.fingerprint,
    signedBy: [...draft.signedBy],
    required: draft.root.thresholds.root,
    origin: draft.root.log.origin,
    logKey: draft.root.log.key,
  }
}

function draftText(draft: RootDraft, path: string): string {
  const missing = Math.max(0, draft.root.thresholds.root - draft.signedBy.length)
  return (
    `Wrote the root v1 draft of org ${quote(draft.root.org)} to ${path}.\n` +
    formatFields([
      ['fingerprint', draft.fingerprint],
      ['signed by', draft.signedBy.join(', ') || 'nobody yet'],
      ['needs', `${draft.root.thresholds.root} signatures${missing > 0 ? ` (${missing} more)` : ''}`],
      ['max command validity', formatDuration(draft.root.maxCommandValiditySeconds)],
      ['log key', draft.root.log.key],
    ]) +
    `\nEach witness must know the log and pin this root before the upload:\n` +
    `\`palisade witness add-log --key ${draft.root.log.key} --root-fingerprint ${draft.fingerprint}\`.\n` +
    `Each other admin: \`palisade root sign ${path} --key <name>\`; then upload with\n` +
    `\`palisade org init --server <url> --setup-code <code> --root ${path}\`.`
  )
}

function usage(message: string): CliError<'CLI_ARG_INVALID'> {
  return new CliError('CLI_ARG_INVALID', message, { hint: 'run `palisade org init --help`' })
}
