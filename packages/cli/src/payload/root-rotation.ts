/**
 * The checks on a rotation draft (root vN+1, root-draft.ts) before an admin
 * signs it and before it is uploaded. Pure: the pinned fingerprint, the
 * chain the server serves (verified by the caller from that pin) and the
 * time come in.
 *
 * G3: vN+1 is accepted by devices only when a root threshold of vN's admin
 * keys AND a root threshold of its own signed it (protocol
 * verifyRootUpdate). The upload asks protocol the same question first, so
 * an undersigned root never reaches the server, and says which set is
 * short and who may still sign.
 */
import { isProtocolError, requireUnexpired, verifyRootUpdate, type Root, type SignedRoot } from '@palisade/protocol'
import { CliError } from '../errors.js'
import type { JsonValue } from '../io/output.js'
import { quote } from '../validate.js'
import type { RootDraft, RotationBase } from './root-draft.js'

/** How far one key set is: who signed, who may still sign, how many are missing. */
export interface KeySetProgress {
  /** The root version whose admin keys this set is. */
  readonly version: number
  readonly required: number
  readonly signedBy: readonly string[]
  readonly unsigned: readonly string[]
  readonly missing: number
}

/** Both sets a rotation needs. */
export interface RotationProgress {
  readonly old: KeySetProgress
  readonly new: KeySetProgress
  readonly ready: boolean
}

/** The rotation part of `draft`, or CLI_ROOT_DRAFT_INVALID for a v1 draft. */
export function rotationOf(draft: RootDraft, what: string): RotationBase {
  if (draft.rotation === undefined) {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `${what} is a draft of root v1, not of a rotation`, {
      hint: `upload it with \`palisade org init --setup-code <code> --root ${what}\``,
    })
  }
  return draft.rotation
}

/**
 * Counts the draft's signatures against the admin keys of the root in force
 * (old) and of the new root (new). A key in both counts in both.
 *
 * @example
 * const p = rotationProgress(draft) // { old: { required: 2, missing: 1, … }, new: { … }, ready: false }
 */
export function rotationProgress(draft: RootDraft): RotationProgress {
  const base = rotationOf(draft, 'the draft')
  const set = (root: Root): KeySetProgress => {
    const signedBy = root.admins.filter((a) => draft.signedKeyIds.includes(a.id)).map((a) => a.name)
    const unsigned = root.admins.filter((a) => !draft.signedKeyIds.includes(a.id)).map((a) => a.name)
    return { version: root.version, required: root.thresholds.root, signedBy, unsigned, missing: Math.max(0, root.thresholds.root - signedBy.length) }
  }
  const old = set(base.current.root)
  const next = set(draft.root)
  return { old, new: next, ready: old.missing === 0 && next.missing === 0 }
}

/** One line per key set: "v1 keys: 1 of 2 (alice); still needed: 1 of bob, carol". */
export function describeProgress(p: RotationProgress): string {
  const line = (label: string, s: KeySetProgress): string =>
    `${label} (v${s.version} keys): ${s.signedBy.length} of ${s.required} signed${s.signedBy.length > 0 ? ` (${s.signedBy.join(', ')})` : ''}` +
    (s.missing > 0 ? `; ${s.missing} more needed from: ${s.unsigned.join(', ')}` : '; done')
  return `${line('old key set', p.old)}\n${line('new key set', p.new)}\n`
}

/** The progress as JSON. */
export function progressJson(p: RotationProgress): { readonly [k: string]: JsonValue } {
  const set = (s: KeySetProgress): { readonly [k: string]: JsonValue } => ({
    version: s.version,
    required: s.required,
    signedBy: [...s.signedBy],
    missing: s.missing,
    unsigned: [...s.unsigned],
  })
  return { old: set(p.old), new: set(p.new), ready: p.ready }
}

/**
 * The draft's chain must start at the pinned root v1: otherwise what it
 * calls the root in force is not what this org's devices trust.
 */
export function requireAnchor(draft: RootDraft, pin: string, what: string): RotationBase {
  const base = rotationOf(draft, what)
  if (base.anchorFingerprint !== pin) {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `the chain of roots in ${what} starts at fingerprint ${base.anchorFingerprint}, not at the pinned ${pin}`, {
      hint: 'do not sign it: it was made for another org or server, or altered; ask for a draft made with `palisade root rotate`',
    })
  }
  return base
}

/**
 * The draft must be the next version of the chain the server serves (whose
 * last root is `current`): built on the same vN, for vN+1. A draft built
 * before another rotation landed is stale.
 */
export function requireNextVersion(draft: RootDraft, current: SignedRoot, what: string): void {
  const base = rotationOf(draft, what)
  const stale = (why: string): never => {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `${what} cannot be uploaded: ${why}`, {
      hint: 'build a new draft from the root in force with `palisade root rotate --out <file>` and have it signed again',
    })
  }
  if (draft.root.org !== current.root.org) stale(`it is for org ${quote(draft.root.org)}, not ${quote(current.root.org)}`)
  if (draft.root.version !== current.root.version + 1) {
    stale(`it holds root v${draft.root.version}, but the root in force is v${current.root.version}: only v${current.root.version + 1} can follow it`)
  }
  if (base.current.fingerprint !== current.fingerprint) {
    stale(`it follows a root v${base.current.root.version} with fingerprint ${base.current.fingerprint}, but the root in force has ${current.fingerprint}`)
  }
}

/**
 * What devices and the server will check, asked here first: vN+1 follows
 * `current` with a root threshold of both key sets (CLI_ROOT_UNDERSIGNED
 * says which is short), is not expired at `now` (unix seconds), and keeps
 * the log the server holds the key of (CLI_ROOT_DRAFT_INVALID).
 *
 * @example
 * const next = requireRotationSignatures(current, draft, Math.floor(Date.now() / 1000))
 */
export function requireRotationSignatures(current: SignedRoot, draft: RootDraft, now: number): SignedRoot {
  let next: SignedRoot
  try {
    next = verifyRootUpdate(current, draft.envelope)
    requireUnexpired(next, now)
  } catch (e) {
    if (!isProtocolError(e)) throw e
    if (e.code === 'PROTO_ROOT_SIG') {
      const p = rotationProgress(draft)
      const short = [p.old.missing > 0 && `${p.old.missing} more of v${p.old.version}'s keys`, p.new.missing > 0 && `${p.new.missing} more of v${p.new.version}'s keys`].filter(Boolean)
      throw new CliError(
        'CLI_ROOT_UNDERSIGNED',
        `root v${draft.root.version} needs ${short.join(' and ')}: it carries ${p.old.signedBy.length} of the ${p.old.required} signatures v${p.old.version}'s keys must give and ${p.new.signedBy.length} of the ${p.new.required} of its own`,
        { hint: `have more admins sign it with \`palisade root sign <file> --key <name>\` (${describeProgress(p).trim().replace(/\n/g, '; ')})`, cause: e },
      )
    }
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `root v${draft.root.version} cannot follow the root in force: ${e.message}`, { cause: e })
  }
  // A new log key is allowed: `incident rotate-credentials` drafts one with the
  // server's pending key, and the server refuses any other (it holds no signer for it).
  if (next.root.log.origin !== current.root.log.origin) {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `root v${draft.root.version} changes the log origin, which the server cannot follow`)
  }
  return next
}
