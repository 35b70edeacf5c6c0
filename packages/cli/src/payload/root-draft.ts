/**
 * A root draft: root v1 on its way between admins. One admin writes it
 * (`palisade org init --out FILE`), others add their signatures on their own
 * machines (`palisade root sign FILE --key NAME`), and one uploads it
 * (`palisade org init --root FILE`). Only public data is in it:
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
 * Everything in a draft file is attacker-controlled (it came over email or
 * chat): it is parsed strictly, its root by protocol's parser, its payload
 * must be canonical, and every signature in it must verify under an admin
 * key of the root it carries. Forward compatibility: unknown fields and
 * types are refused; a new field means a new type.
 */
import { ROOT_PAYLOAD_TYPE, canonicalJsonBytes, dsse, equalBytes, isProtocolError, parseJson, parseRoot, rootFingerprint, type Root } from '@palisade/protocol'
import type { WitnessSpec } from '../args/root-options.js'
import { CliError } from '../errors.js'
import type { UnlockedKey } from '../keystore/keystore.js'
import { parseServerUrl, quote } from '../validate.js'

export const ROOT_DRAFT_TYPE = 'palisade.root-draft/v1'
export const ROOT_DRAFT_MAX_BYTES = 1024 * 1024

/** A parsed draft whose signatures all verified. */
export interface RootDraft {
  readonly envelope: dsse.Envelope
  readonly root: Root
  readonly fingerprint: string
  readonly witnesses: readonly WitnessSpec[]
  /** Names of the admins whose signatures are in it, in envelope order. */
  readonly signedBy: readonly string[]
}

/**
 * A new draft of `payload` (root bytes) with the given witness URLs and no
 * signature yet.
 */
export function newRootDraft(payload: Uint8Array, witnesses: readonly WitnessSpec[], what = 'the root'): RootDraft {
  return checkDraft({ payloadType: ROOT_PAYLOAD_TYPE, payload, signatures: [] }, witnesses, what)
}

/**
 * Parses a draft file's text. Throws CLI_ROOT_DRAFT_INVALID naming `what`
 * (the file) and the first problem.
 */
export function parseRootDraft(text: string | Uint8Array, what: string): RootDraft {
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
  const unknown = Object.keys(o).filter((k) => !['type', 'envelope', 'witnesses'].includes(k))
  if (unknown.length > 0) invalid(`unknown field ${quote(unknown[0]!)}`)
  if (o['type'] !== ROOT_DRAFT_TYPE) invalid(`its type is not ${ROOT_DRAFT_TYPE}`)
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
  return checkDraft(envelope, witnesses, what)
}

/** The draft file's text: pretty JSON, a final newline. */
export function formatRootDraft(draft: RootDraft): string {
  const doc = {
    type: ROOT_DRAFT_TYPE,
    envelope: JSON.parse(dsse.formatEnvelope(draft.envelope)) as unknown,
    witnesses: draft.witnesses.map((w) => ({ key: w.key, url: w.url })),
  }
  return JSON.stringify(doc, null, 2) + '\n'
}

/** The envelope as the server takes it (canonical DSSE JSON text). */
export function draftEnvelopeText(draft: RootDraft): string {
  return dsse.formatEnvelope(draft.envelope)
}

/**
 * Adds the signature of `key`, which must be an admin of the root, over
 * PAE(ROOT_PAYLOAD_TYPE, payload). A key that already signed is refused
 * (CLI_ROOT_DRAFT_INVALID says so), so a draft never carries one key twice.
 *
 * @example
 * const signed = await signRootDraft(draft, await unlockKey(home, 'alice', pass))
 */
export async function signRootDraft(draft: RootDraft, key: UnlockedKey): Promise<RootDraft> {
  const admin = adminOf(draft.root, key.publicKey)
  if (admin === undefined) {
    throw new CliError('CLI_KEY_NOT_ADMIN', `key ${quote(key.name)} is not an admin key of the root of org ${quote(draft.root.org)}`)
  }
  if (draft.signedBy.includes(admin.name)) {
    throw new CliError('CLI_ROOT_DRAFT_INVALID', `the draft is already signed by ${quote(admin.name)}`, { hint: 'nothing to do: pass the draft on to the next admin' })
  }
  const envelope = await dsse.addSignature(draft.envelope, dsse.ed25519Signer(admin.id, key.seed))
  return checkDraft(envelope, draft.witnesses, 'the signed draft')
}

/** The admin entry of `publicKey` in `root`, if any. */
export function adminOf(root: Root, publicKey: Uint8Array): Root['admins'][number] | undefined {
  return root.admins.find((a) => equalBytes(a.publicKey, publicKey))
}

function checkDraft(envelope: dsse.Envelope, witnesses: readonly WitnessSpec[], what: string): RootDraft {
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
  if (root.version !== 1) invalid(`it holds root v${root.version}; a draft is for v1`)
  const keys = witnesses.map((w) => w.key)
  if (keys.length !== root.witnesses.keys.length || keys.some((k, i) => k !== root.witnesses.keys[i])) {
    invalid('its witness list does not match the witnesses of its root')
  }
  const signedBy: string[] = []
  envelope.signatures.forEach((sig, i) => {
    const name = signerOf(envelope, sig, root)
    if (name === undefined) invalid(`signature ${i + 1} (key id ${quote(sig.keyid)}) does not verify under any admin key of the root`)
    if (signedBy.includes(name!)) invalid(`${quote(name!)} signed twice`)
    signedBy.push(name!)
  })
  return Object.freeze({ envelope, root, fingerprint: rootFingerprint(envelope.payload), witnesses: Object.freeze([...witnesses]), signedBy: Object.freeze(signedBy) })
}

/** The admin whose key made `sig` over the envelope, or undefined. */
function signerOf(envelope: dsse.Envelope, sig: dsse.EnvelopeSignature, root: Root): string | undefined {
  const one: dsse.Envelope = { payloadType: envelope.payloadType, payload: envelope.payload, signatures: [{ keyid: '', sig: sig.sig }] }
  try {
    const v = dsse.verifyEnvelope(one, { payloadType: ROOT_PAYLOAD_TYPE, keys: root.admins.map((a) => ({ keyid: a.name, publicKey: a.publicKey })), threshold: 1 })
    return v.signedBy[0]
  } catch {
    return undefined
  }
}
