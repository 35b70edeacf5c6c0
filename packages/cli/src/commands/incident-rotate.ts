/**
 * `palisade incident rotate-credentials --out <file> --yes [--fingerprint <fp>]`:
 * for the day the server was breached. In order:
 *
 * 1. checks what it needs before changing anything (the pinned root, the
 *    chain the server serves verifies from it, --out is free);
 * 2. asks the server to revoke and reissue every API key, revoke every
 *    console session and enrollment token, and make a new (pending) log
 *    key, in one transaction (`POST …/incident/rotate-credentials`);
 * 3. saves the caller's own new API key in its config (the old one is
 *    revoked) and prints every other new key once, by name, for the admin
 *    to hand to its owner (stdout only; never in a note, a log or an error);
 * 4. drafts root vN+1, identical to vN except `log.key` = the new key, for
 *    the admins to sign: until it is uploaded the log is still signed with
 *    the old, possibly stolen, key. Witnesses that pin the org root follow
 *    the log key of the newest root they are shown; devices the key of the
 *    newest root they verified.
 */
import { note, type SignedRoot } from '@palisade/protocol'
import { promises as fs } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { saveConfig, Secret, configPath } from '../config/config.js'
import type { CliContext, Invocation } from '../context.js'
import { CliError } from '../errors.js'
import { rotateCredentials, type RotatedCredentials } from '../http/incident-api.js'
import { formatFields, type JsonValue } from '../io/output.js'
import { describeRootChanges, formatRootChanges } from '../payload/describe-root-change.js'
import { rootJson } from '../payload/describe-root.js'
import { buildNextRoot } from '../payload/root-changes.js'
import { newRotationDraft, type RootDraft } from '../payload/root-draft.js'
import { writeRootDraftFile } from '../payload/root-draft-file.js'
import { parseFingerprint } from '../trust/pins.js'
import { quote } from '../validate.js'
import { fetchVerifiedChain } from './root-rotation.js'

interface RotateOptions {
  out: string
  yes?: boolean
  fingerprint?: string
}

/** Registers `palisade incident rotate-credentials` under `incident`. */
export function registerRotateCredentials(incident: Command, ctx: CliContext): void {
  incident
    .command('rotate-credentials')
    .description('revoke and reissue every API key, revoke every console session and enrollment token, and draft a root version with a new log key')
    .requiredOption('--out <file>', 'write the root draft (new log key) here (never replaces a file)')
    .option('--yes', 'confirm: every API key, console session and enrollment token of the org stops working at once')
    .option('--fingerprint <fp>', 'verify the chain from this fingerprint instead of the pinned one', parseFingerprint)
    .action(async (opts: RotateOptions, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const out = resolve(opts.out)
      // Everything that can fail without the server changing anything, first.
      const before = await fetchVerifiedChain(inv, opts.fingerprint)
      if (await exists(out)) throw new CliError('CLI_IO', `${out} already exists; a draft never replaces a file`, { hint: 'choose another --out path, or move the file away' })
      if (opts.yes !== true) {
        throw new CliError('CLI_CONFIRMATION_REQUIRED', `this revokes every API key (yours included, replaced at once), console session and enrollment token of org ${quote(before.session.org)}`, {
          hint: 'pass --yes to go ahead',
        })
      }

      const rotated = await rotateCredentials(before.session)
      const saved = await saveCallerKey(inv, rotated)
      // A fresh invocation reads the config again: the old key no longer works.
      const after = await fetchVerifiedChain(ctx.invocation(cmd), opts.fingerprint)
      const draft = await draftLogKeyRotation(after.current, after.envelopes, rotated, out)
      const others = rotated.apiKeys.filter((k) => k.id !== rotated.callerApiKey)
      inv.out.result(jsonOf(rotated, saved, draft, after.current, out), () => textOf(rotated, saved, others, draft, after.current, out, after.session.org))
    })
}

async function exists(path: string): Promise<boolean> {
  return fs.lstat(path).then(
    () => true,
    (e: { code?: unknown }) => (e.code === 'ENOENT' ? false : Promise.reject(e)),
  )
}

/** Stores the caller's new key in the config; the path written, or undefined when the caller's key was not among them. */
async function saveCallerKey(inv: Invocation, rotated: RotatedCredentials): Promise<string | undefined> {
  const mine = rotated.apiKeys.find((k) => k.id === rotated.callerApiKey)
  if (mine === undefined) return undefined
  await saveConfig(inv.home, { ...(await inv.config()), apiToken: new Secret(mine.key) })
  return configPath(inv.home)
}

/** Root vN+1 = vN with the pending log key, written as a rotation draft. */
async function draftLogKeyRotation(current: SignedRoot, envelopes: readonly string[], rotated: RotatedCredentials, out: string): Promise<RootDraft> {
  const key = rotated.log.pendingKey
  let origin: string
  try {
    origin = note.verifierFromString(key).name
  } catch (e) {
    throw new CliError('CLI_SERVER_RESPONSE', `the server's new log key is not a note verifier key: ${(e as Error).message}`)
  }
  if (origin !== current.root.log.origin) {
    throw new CliError('CLI_SERVER_UNTRUSTED', `the server's new log key is named ${quote(origin)}, not the log origin ${quote(current.root.log.origin)}`)
  }
  const built = buildNextRoot(current.root, { logKey: key }, Math.floor(Date.now() / 1000))
  const draft = newRotationDraft(built.payload, envelopes, [])
  await writeRootDraftFile(out, draft, false)
  return draft
}

function jsonOf(r: RotatedCredentials, saved: string | undefined, draft: RootDraft, current: SignedRoot, out: string): { readonly [k: string]: JsonValue } {
  return {
    revoked: { ...r.revoked },
    apiKeys: r.apiKeys.map((k) => ({ id: k.id, replaces: k.replaces, name: k.name, key: k.key, prefix: k.prefix, scopes: [...k.scopes], expiresAt: k.expiresAt, yours: k.id === r.callerApiKey })),
    configSaved: saved ?? null,
    log: { origin: r.log.origin, currentKey: r.log.currentKey, pendingKey: r.log.pendingKey },
    draft: out,
    root: { ...rootJson(draft.root, draft.fingerprint), previousVersion: current.root.version, changes: describeRootChanges(current.root, draft.root) },
  }
}

function textOf(
  r: RotatedCredentials,
  saved: string | undefined,
  others: RotatedCredentials['apiKeys'],
  draft: RootDraft,
  current: SignedRoot,
  out: string,
  org: string,
): string {
  const keyLines =
    others.length === 0
      ? 'No other API key was live.\n'
      : 'New API keys — hand each to its owner now; they are not shown again:\n' +
        others.map((k) => `  ${k.name}  ${k.key}  (scopes ${k.scopes.join(',')}; expires ${k.expiresAt === null ? 'never' : new Date(k.expiresAt).toISOString()})\n`).join('')
  const v = draft.root.version
  return (
    `Rotated the credentials of org ${quote(org)}:\n` +
    formatFields([
      ['API keys revoked and reissued', String(r.revoked.apiKeys)],
      ['console sessions revoked', String(r.revoked.sessions)],
      ['enrollment tokens revoked', String(r.revoked.enrollmentTokens)],
      ['new log key (pending)', r.log.pendingKey],
    ]) +
    (saved === undefined ? 'Your own key was not among them: log in again with one of the new keys (`palisade login`).\n' : `Your new API key is saved in ${saved} (the old one is revoked).\n`) +
    `\n${keyLines}\n` +
    `Wrote root v${v} (not yet signed) to ${out}: v${current.root.version} with the new log key.\n` +
    formatRootChanges(current.root, draft.root) +
    `\nWhat remains for you:\n` +
    `  1. ${current.root.thresholds.root} admins sign ${out}, each on their own machine: palisade root sign ${out} --key <name>\n` +
    `  2. one uploads it, naming every witness (each is shown v${v} first and follows its log key):\n` +
    `       palisade root upload ${out} --witness-url <url>…\n` +
    `     The server switches to the new log key when it stores v${v}; until then checkpoints are signed with the old key.\n` +
    `  3. console admins sign in again (every session was revoked); make new enrollment tokens when needed (palisade token create).\n` +
    `  4. if admin keys may be compromised too, rotate them: palisade root rotate --remove-admin … --add-admin …; or freeze: palisade incident freeze.\n`
  )
}
