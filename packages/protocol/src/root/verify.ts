/**
 * Root verification (guarantee G3). A device trusts exactly one anchor, the
 * root whose fingerprint it pinned at enrollment, and moves forward only by
 * versions each signed by a threshold of the previous version's admin keys
 * AND a threshold of the new version's admin keys (as TUF does). Going back,
 * skipping a version, changing organisation or using an expired root is
 * refused. Nothing here trusts the server that delivered the envelopes.
 */
import { ProtocolError, fail } from '../errors.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { parseEnvelope, type Envelope } from '../dsse/envelope.js'
import { verifyEnvelope } from '../dsse/verify.js'
import { rootFingerprint, FINGERPRINT_RE } from './fingerprint.js'
import { parseRoot, ROOT_PAYLOAD_TYPE, type Root } from './root.js'

/** A root together with the envelope that carried it. */
export interface SignedRoot {
  readonly root: Root
  readonly envelope: Envelope
  readonly fingerprint: string
}

function open(input: Envelope | string | Uint8Array, crypto?: CryptoProvider): SignedRoot {
  const envelope = typeof input === 'string' || input instanceof Uint8Array ? parseEnvelope(input) : input
  if (envelope.payloadType !== ROOT_PAYLOAD_TYPE) {
    fail('PROTO_PAYLOAD_TYPE', `expected a root envelope (${ROOT_PAYLOAD_TYPE}), got ${JSON.stringify(envelope.payloadType).slice(0, 80)}`)
  }
  const root = parseRoot(envelope.payload, crypto)
  return Object.freeze({ root, envelope, fingerprint: rootFingerprint(envelope.payload, crypto) })
}

/** Checks that `threshold.root` distinct admin keys of `by` signed `signed`. */
function requireRootSignatures(signed: SignedRoot, by: Root, which: string, crypto?: CryptoProvider): void {
  try {
    verifyEnvelope(
      signed.envelope,
      { payloadType: ROOT_PAYLOAD_TYPE, keys: by.admins.map((a) => ({ keyid: a.id, publicKey: a.publicKey })), threshold: by.thresholds.root },
      crypto,
    )
  } catch (e) {
    if (e instanceof ProtocolError && e.code === 'PROTO_SIG_THRESHOLD') {
      throw new ProtocolError('PROTO_ROOT_SIG', `root v${signed.root.version} lacks ${which} signatures (${by.thresholds.root} of v${by.version}'s keys required)`, {
        cause: e,
        details: { version: signed.root.version, ...(e.details ?? {}) },
      })
    }
    throw e
  }
}

/**
 * Opens the anchor a device pinned: the payload's fingerprint must equal
 * `pinned`, and the root must carry a root-threshold of its own keys.
 * Expiry is checked by the caller on the newest root (verifyRootChain),
 * because an expired anchor may still lead to a live successor.
 *
 * @example
 * const anchor = verifyAnchorRoot(v1EnvelopeJson, pinnedFingerprint)
 */
export function verifyAnchorRoot(input: Envelope | string | Uint8Array, pinned: string, crypto?: CryptoProvider): SignedRoot {
  if (!FINGERPRINT_RE.test(pinned)) fail('PROTO_MALFORMED', 'a pinned root fingerprint is 64 lower-case hex digits')
  const signed = open(input, crypto)
  if (signed.fingerprint !== pinned) {
    fail('PROTO_ROOT_FINGERPRINT', `root v${signed.root.version} has fingerprint ${signed.fingerprint}, not the pinned ${pinned}`)
  }
  requireRootSignatures(signed, signed.root, 'its own', crypto)
  return signed
}

/**
 * Verifies the next root version against the trusted one.
 *
 * @example
 * const v2 = verifyRootUpdate(v1, v2EnvelopeJson)
 */
export function verifyRootUpdate(trusted: SignedRoot, input: Envelope | string | Uint8Array, crypto?: CryptoProvider): SignedRoot {
  const next = open(input, crypto)
  const from = trusted.root
  if (next.root.org !== from.org) fail('PROTO_ORG_MISMATCH', `root for org "${next.root.org}" cannot follow org "${from.org}"`)
  if (next.root.version <= from.version) {
    fail('PROTO_ROOT_ROLLBACK', `root v${next.root.version} is not newer than the trusted v${from.version}`)
  }
  if (next.root.version !== from.version + 1) {
    fail('PROTO_ROOT_SKIPPED', `root v${next.root.version} skips v${from.version + 1}`)
  }
  requireRootSignatures(next, from, 'the previous version\'s', crypto)
  requireRootSignatures(next, next.root, 'its own', crypto)
  return next
}

/** Fails with PROTO_ROOT_EXPIRED when `now` (unix seconds) is at or past the root's expiry. */
export function requireUnexpired(signed: SignedRoot, now: number): void {
  if (!(now < signed.root.expiresAt)) {
    fail('PROTO_ROOT_EXPIRED', `root v${signed.root.version} expired at ${signed.root.expiresAt} (now ${now})`)
  }
}

/**
 * Follows a chain of root envelopes from a trusted root (or a pinned anchor)
 * and returns every verified version, newest last. Every envelope must be
 * the next version: an old one is a rollback attempt, a gap a skip.
 * Intermediate versions may have expired (a device that slept through
 * them still follows the chain); the newest must not be expired at `now`.
 *
 * @example
 * const chain = verifyRootChain({ pinned: fp }, [v1, v2, v3], now)
 * const current = chain[chain.length - 1]
 */
export function verifyRootChain(
  from: { readonly pinned: string } | { readonly trusted: SignedRoot },
  envelopes: readonly (Envelope | string | Uint8Array)[],
  now: number,
  crypto?: CryptoProvider,
): readonly SignedRoot[] {
  if (envelopes.length > 1024) fail('PROTO_TOO_LARGE', 'a root chain has at most 1024 versions')
  const chain: SignedRoot[] = []
  let rest = envelopes
  if ('pinned' in from) {
    if (rest.length === 0) fail('PROTO_MALFORMED', 'a root chain needs its anchor')
    chain.push(verifyAnchorRoot(rest[0]!, from.pinned, crypto))
    rest = rest.slice(1)
  } else {
    chain.push(from.trusted)
  }
  for (const e of rest) chain.push(verifyRootUpdate(chain[chain.length - 1]!, e, crypto))
  requireUnexpired(chain[chain.length - 1]!, now)
  return Object.freeze(chain)
}
