/**
 * A root draft: a root version on its way between admins. One admin writes
 * it (`palisade org init --out FILE` for v1, `palisade root rotate --out
 * FILE` or `palisade incident freeze --out FILE` for a later version),
 * others add their signatures on their own machines (`palisade root sign
 * FILE --key NAME`), and one uploads it (`palisade org init --root FILE`,
 * `palisade root upload FILE`). Only public data is in it:
 *
 *     {
 *       "type": "palisade.root-draft/v1",
 *       "envelope": { "payload": "<base64>", "payloadType": "application/vnd.palisade.root+json",
 *                     "signatures": [{ "keyid": "<key id>", "sig": "<base64>" }] },
 *       "witnesses": [{ "key": "<cosignature/v1 verifier key>", "url": "https://…" }]
 *     }
 *
 * The witness URLs travel with the draft because the server needs them at
 * setup and they are not part of the signed root.
 *
 * A draft of version N+1 (a rotation) has its own type, so that a tool that
 * only knows v1 drafts refuses it, and carries the chain it follows:
 *
 *     {
 *       "type": "palisade.root-rotation-draft/v1",
 *       "envelope": { … root vN+1 … },
 *       "witnesses": [{ "key": …, "url": … }],      (only the witnesses vN+1 adds)
 *       "chain": ["<root v1 envelope JSON>", …, "<root vN envelope JSON>"]
 *     }
 *
 * The chain lets a signer check, offline and as a device would, that vN is
 * the root in force after the v1 they pinned, and see what vN+1 changes.
 * Its signatures may come from vN's admin keys and from vN+1's: protocol
 * verifyRootUpdate needs a root threshold of each.
 *
 * Everything in a draft file is attacker-controlled (it came over email or
 * chat): it is parsed strictly, its root by protocol's parser, its payload
 * must be canonical, and every signature in it must verify under an admin
 * key of the root it carries. Forward compatibility: unknown fields and
 * types are refused; a new field means a new type.
 */
import {
  ROOT_PAYLOAD_TYPE,
  canonicalJsonBytes,
  dsse,
  equalBytes,
  isProtocolError,
  parseJson,
  parseRoot,
  rootFingerprint,
  verifyRootChain,
  type Root,
  type SignedRoot,
} from '@palisade/protocol'
import type { WitnessSpec } from '../args/root-options.js'
import { CliError } from '../errors.js'
import type { UnlockedKey } from '../keystore/keystore.js'
import { parseServerUrl, quote } from '../validate.js'

export const ROOT_DRAFT_TYPE = 'palisade.root-draft/v1'
export const ROOT_ROTATION_DRAFT_TYPE = 'palisade.root-rotation-draft/v1'
export const ROOT_DRAFT_MAX_BYTES = 1024 * 1024
/** The longest chain a rotation draft carries (protocol verifyRootChain's bound). */
export const ROOT_DRAFT_MAX_CHAIN = 1024

/** A parsed draft whose signatures all verified. */
export interface RootDraft {
  readonly envelope: dsse.Envelope
  readonly root: Root
  readonly fingerprint: string
  readonly witnesses: readonly WitnessSpec[]
  /** Names of the admins whose signatures are in it, in envelope order. */
  readonly signedBy: readonly string[]
  /** Key ids of the signers, in the same order. */
  readonly signedKeyIds: readonly string[]
  /** Present in a draft of v2 or later. */
  readonly rotation?: RotationBase
}

/**
 * The chain a rotation draft follows. Each version is verified against the
 * one before, starting from v1's own fingerprint: compare
 * `anchorFingerprint` with the pin before trusting any of it.
 */
export interface RotationBase {
  readonly chain: readonly SignedRoot[]
  /** The fingerprint of v1, where the chain starts. */
  readonly anchorFingerprint: string
  /** The last of the chain: the root in force when the draft was made. */
  readonly current: SignedRoot
}

/** Which drafts a reader accepts: v1 only (org init), or v1 and rotations. */
export type DraftKinds = 'v1' | 'any'

/**
 * A new draft of `payload` (root bytes) with the given witness URLs and no
 * signature yet.
 */
export function newRootDraft(payload: Uint8Array, witnesses: readonly WitnessSpec[], what = 'the root'): RootDraft {
  return checkDraft({ payloadType: ROOT_PAYLOAD_TYPE, payload, signatures: [] }, witnesses, what, undefined)
}

/**
 * A new rotation draft of `payload` (root vN+1 bytes) following `chain`
 * (the envelopes v1…vN, as the server serves them), with the URLs of the
 * witnesses vN+1 adds, and no signature yet.
 *
 * @example
 * const draft = newRotationDraft(built.payload, rootsFromServer, [])
 */
export function newRotationDraft(payload: Uint8Array, chain: readonly string[], witnesses: readonly WitnessSpec[], what = 'the root'): RootDraft {
  return checkDraft({ payloadType: ROOT_PAYLOAD_TYPE, payload, signatures: [] }, witnesses, what, chain)
}

/**
 * Parses a draft file's text. Throws CLI_ROOT_DRAFT_INVALID naming `what`
 * (the file) and the first problem. `kinds` 'v1' (the default) refuses a
 * rotation draft, with a sentence saying which command takes it.
 */
export function parseRootDraft(text: string | Uint8Array, what: string, kinds: DraftKinds = 'v1'): RootDraft {
  const invalid = (why: string, cause?: unknown): never => {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `${what} is not a valid root draft: ${why}`, { cause })
  }
  let doc: unknown
  try {
    doc = parseJson(text, ROOT_DRAFT_MAX_BYTES, 'root draft')
  } catch (e) {
    return invalid(isProtocolError(e) ? e.message : 'it is not JSON', e)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid('it is not a JSON object')
  const o = doc as Record<string, unknown>
  const rotation = o['type'] === ROOT_ROTATION_DRAFT_TYPE
  if (rotation && kinds === 'v1') {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `${what} is a draft of a later root version (a rotation), not of root v1`, {
      hint: `sign it with \`palisade root sign ${what} --key <name>\` and upload it with \`palisade root upload ${what}\``,
    })
  }
  const fields = rotation ? ['type', 'envelope', 'witnesses', 'chain'] : ['type', 'envelope', 'witnesses']
  const unknown = Object.keys(o).filter((k) => !fields.includes(k))
  if (unknown.length > 0) invalid(`unknown field ${quote(unknown[0]!)}`)
  if (!rotation && o['type'] !== ROOT_DRAFT_TYPE) invalid(`its type is not ${ROOT_DRAFT_TYPE}${kinds === 'any' ? ` or ${ROOT_ROTATION_DRAFT_TYPE}` : ''}`)
  let chain: string[] | undefined
  if (rotation) {
    const c = o['chain']
    if (!Array.isArray(c) || c.length === 0 || c.length > ROOT_DRAFT_MAX_CHAIN || c.some((x) => typeof x !== 'string')) {
      return invalid(`chain is not a list of 1 to ${ROOT_DRAFT_MAX_CHAIN} root envelopes (JSON text)`)
    }
    chain = c as string[]
  }
  let envelope: dsse.Envelope
  try {
    envelope = dsse.parseEnvelope(o['envelope'])
  } catch (e) {
    return invalid(`its envelope: ${isProtocolError(e) ? e.message : 'unreadable'}`, e)
  }
  const list = o['witnesses']
  if (!Array.isArray(list) || list.length > 64) return invalid('witnesses is not a list')
  const witnesses = list.map((w, i): WitnessSpec => {
    const wo = (typeof w === 'object' && w !== null ? w : {}) as Record<string, unknown>
    if (Object.keys(wo).some((k) => k !== 'key' && k !== 'url') || typeof wo['key'] !== 'string' || typeof wo['url'] !== 'string') {
      return invalid(`witnesses[${i}] is not { key, url }`)
    }
    try {
      return { key: wo['key'], url: parseServerUrl(wo['url']) }
    } catch {
      return invalid(`witnesses[${i}].url is not an http(s) URL`)
    }
  })
  return checkDraft(envelope, witnesses, what, chain)
}

/** The draft file's text: pretty JSON, a final newline. */
export function formatRootDraft(draft: RootDraft): string {
  const doc = {
    type: draft.rotation === undefined ? ROOT_DRAFT_TYPE : ROOT_ROTATION_DRAFT_TYPE,
    envelope: JSON.parse(dsse.formatEnvelope(draft.envelope)) as unknown,
    witnesses: draft.witnesses.map((w) => ({ key: w.key, url: w.url })),
    ...(draft.rotation === undefined ? {} : { chain: draft.rotation.chain.map((r) => dsse.formatEnvelope(r.envelope)) }),
  }
  return JSON.stringify(doc, null, 2) + '\n'
}

/** The envelope as the server takes it (canonical DSSE JSON text). */
export function draftEnvelopeText(draft: RootDraft): string {
  return dsse.formatEnvelope(draft.envelope)
}

/**
 * Adds the signature of `key`, which must be an admin of the root (or, in
 * a rotation, of the root in force before it), over
 * PAE(ROOT_PAYLOAD_TYPE, payload). A key that already signed is refused
 * (CLI_ROOT_DRAFT_INVALID says so), so a draft never carries one key twice.
 *
 * @example
 * const signed = await signRootDraft(draft, await unlockKey(home, 'alice', pass))
 */
export async function signRootDraft(draft: RootDraft, key: UnlockedKey): Promise<RootDraft> {
  const admin = draftSignerOf(draft, key.publicKey)
  if (admin === undefined) {
    const which = draft.rotation === undefined ? 'the root' : `root v${draft.rotation.current.root.version} or v${draft.root.version}`
    throw new CliError('CLI_KEY_NOT_ADMIN', `key ${quote(key.name)} is not an admin key of ${which} of org ${quote(draft.root.org)}`)
  }
  if (draft.signedKeyIds.includes(admin.id)) {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `the draft is already signed by ${quote(admin.name)}`, { hint: 'nothing to do: pass the draft on to the next admin' })
  }
  const envelope = await dsse.addSignature(draft.envelope, dsse.ed25519Signer(admin.id, key.seed))
  return checkDraft(envelope, draft.witnesses, 'the signed draft', draft.rotation?.chain.map((r) => dsse.formatEnvelope(r.envelope)))
}

/** The admin entry of `publicKey` in `root`, if any. */
export function adminOf(root: Root, publicKey: Uint8Array): Root['admins'][number] | undefined {
  return root.admins.find((a) => equalBytes(a.publicKey, publicKey))
}

/**
 * The admin entry of `publicKey` among those who may sign the draft: the
 * draft's root, then (in a rotation) the root in force before it.
 */
export function draftSignerOf(draft: RootDraft, publicKey: Uint8Array): Root['admins'][number] | undefined {
  return adminOf(draft.root, publicKey) ?? (draft.rotation === undefined ? undefined : adminOf(draft.rotation.current.root, publicKey))
}

function checkDraft(envelope: dsse.Envelope, witnesses: readonly WitnessSpec[], what: string, chainTexts: readonly string[] | undefined): RootDraft {
  const invalid = (why: string, cause?: unknown): never => {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `${what} is not a valid root draft: ${why}`, { cause })
  }
  if (envelope.payloadType !== ROOT_PAYLOAD_TYPE) invalid(`its payload type is not ${ROOT_PAYLOAD_TYPE}`)
  let root: Root
  try {
    root = parseRoot(envelope.payload)
  } catch (e) {
    return invalid(`its root: ${isProtocolError(e) ? e.message : 'unreadable'}`, e)
  }
  // one spelling: what a signer is shown is exactly what they sign
  if (!equalBytes(canonicalJsonBytes(JSON.parse(new TextDecoder().decode(envelope.payload))), envelope.payload)) {
    invalid('its root payload is not canonical JSON (RFC 8785)')
  }
  const keys = witnesses.map((w) => w.key)
  let rotation: RotationBase | undefined
  let signers: readonly Root['admins'][number][] = root.admins
  if (chainTexts === undefined) {
    if (root.version !== 1) invalid(`it holds root v${root.version}; a draft without a chain is for v1`)
    if (keys.length !== root.witnesses.keys.length || keys.some((k, i) => k !== root.witnesses.keys[i])) {
      invalid('its witness list does not match the witnesses of its root')
    }
  } else {
    rotation = checkChain(chainTexts, invalid)
    const current = rotation.current.root
    if (root.org !== current.org) invalid(`it holds a root of org ${quote(root.org)} but its chain is of org ${quote(current.org)}`)
    if (root.version !== current.version + 1) invalid(`it holds root v${root.version}, but its chain ends at v${current.version}: a rotation draft is for v${current.version + 1}`)
    if (new Set(keys).size !== keys.length) invalid('its witness list repeats a witness')
    for (const k of keys) if (!root.witnesses.keys.includes(k)) invalid(`its witness list names ${quote(k)}, which is not a witness of its root`)
    for (const k of root.witnesses.keys) {
      if (!current.witnesses.keys.includes(k) && !keys.includes(k)) invalid(`its witness list has no URL for the witness its root adds, ${quote(k)}`)
    }
    // a key in both roots is one signer; its entry in the new root names it
    signers = [...root.admins, ...current.admins.filter((a) => adminOf(root, a.publicKey) === undefined)]
  }
  const signedBy: string[] = []
  const signedKeyIds: string[] = []
  envelope.signatures.forEach((sig, i) => {
    const admin = signerOf(envelope, sig, signers)
    if (admin === undefined) {
      invalid(`signature ${i + 1} (key id ${quote(sig.keyid)}) does not verify under any admin key of ${rotation === undefined ? 'the root' : 'the root or the one before it'}`)
    }
    if (signedKeyIds.includes(admin!.id)) invalid(`${quote(admin!.name)} signed twice`)
    signedBy.push(admin!.name)
    signedKeyIds.push(admin!.id)
  })
  return Object.freeze({
    envelope,
    root,
    fingerprint: rootFingerprint(envelope.payload),
    witnesses: Object.freeze([...witnesses]),
    signedBy: Object.freeze(signedBy),
    signedKeyIds: Object.freeze(signedKeyIds),
    ...(rotation === undefined ? {} : { rotation }),
  })
}

/**
 * The chain of a rotation draft, verified version by version from v1's own
 * fingerprint (as a device that pinned it would), expiry aside: a chain
 * whose last root expired can still be followed by a renewal.
 */
function checkChain(texts: readonly string[], invalid: (why: string, cause?: unknown) => never): RotationBase {
  let chain: readonly SignedRoot[]
  let anchorFingerprint: string
  try {
    anchorFingerprint = rootFingerprint(dsse.parseEnvelope(texts[0]!).payload)
    chain = verifyRootChain({ pinned: anchorFingerprint }, texts, 0)
  } catch (e) {
    if (!isProtocolError(e)) throw e
    return invalid(`its chain of roots does not verify: ${e.message}`, e)
  }
  return Object.freeze({ chain, anchorFingerprint, current: chain[chain.length - 1]! })
}

/** The admin whose key made `sig` over the envelope, or undefined. */
function signerOf(envelope: dsse.Envelope, sig: dsse.EnvelopeSignature, admins: readonly Root['admins'][number][]): Root['admins'][number] | undefined {
  const one: dsse.Envelope = { payloadType: envelope.payloadType, payload: envelope.payload, signatures: [{ keyid: '', sig: sig.sig }] }
  try {
    const v = dsse.verifyEnvelope(one, { payloadType: ROOT_PAYLOAD_TYPE, keys: admins.map((a) => ({ keyid: a.id, publicKey: a.publicKey })), threshold: 1 })
    return admins.find((a) => a.id === v.signedBy[0])
  } catch {
    return undefined
  }
}
