/**
 * Root v1 made in the browser: built by protocol's buildRoot (the same
 * builder as `palisade org init`), signed by the first admin's
 * non-extractable WebCrypto key, and verified back with protocol's
 * verifyAnchorRoot before anything is sent. The server contributes only
 * the log key it will sign checkpoints with (POST /v1/setup/log-key), which
 * the root then pins: a server that later signs with another key is
 * refused by every device and witness.
 */
import { ROOT_PAYLOAD_TYPE, buildRoot, dsse, fromBase64, verifyAnchorRoot, type Root } from '@palisade/protocol'
import { signWith } from '../crypto/ed25519-key'
import type { StoredKey } from '../crypto/key-store'
import { verifyAsync } from '../crypto/verify-async'
import type { SetupChoices } from './setup-choices'

/** Same defaults as `palisade org init`. */
export const ROOT_VALID_FOR_SECONDS = 365 * 86400
export const MAX_COMMAND_VALIDITY_SECONDS = 7 * 86400

/** A signed, verified root v1 and what the server and witnesses need with it. */
export interface SignedRootV1 {
  readonly envelope: dsse.Envelope
  readonly root: Root
  readonly fingerprint: string
  readonly logKey: string
  readonly witnesses: readonly { readonly url: string; readonly key: string }[]
}

/**
 * Builds, signs and verifies root v1 with `key` as its only admin (1 of 1
 * for every action). `now` is Unix seconds.
 *
 * @example
 * const signed = await signRootV1(choices, { origin, logKey }, key, Math.floor(Date.now() / 1000))
 */
export async function signRootV1(choices: SetupChoices, log: { origin: string; logKey: string }, key: StoredKey, now: number): Promise<SignedRootV1> {
  const built = buildRoot({
    org: choices.org,
    version: 1,
    admins: [{ name: choices.keyName, publicKey: fromBase64(key.publicKey) }],
    thresholds: { command: 1, policy: 1, root: 1, device: 1 },
    witnesses: { quorum: choices.quorum, keys: choices.witnesses.map((w) => w.key) },
    log: { origin: log.origin, key: log.logKey },
    issuedAt: now,
    validForSeconds: ROOT_VALID_FOR_SECONDS,
    maxCommandValiditySeconds: MAX_COMMAND_VALIDITY_SECONDS,
    frozen: false,
    monitors: choices.monitors,
    checkpointMaxAgeSeconds: choices.checkpointMaxAgeSeconds,
  })
  const envelope = await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, built.payload, [{ keyid: key.keyid, sign: (m) => signWith(key.key, m) }])
  // the browser checks its own work exactly as a device will: from the fingerprint
  const verified = await verifyAsync((p) => verifyAnchorRoot(envelope, built.fingerprint, p))
  return { envelope, root: verified.root, fingerprint: built.fingerprint, logKey: log.logKey, witnesses: choices.witnesses }
}

/**
 * The command a witness operator runs before setup, so that the witness
 * cosigns this log, and only checkpoints naming this root (WIRE.md
 * "Witnesses that pin the org root").
 *
 * @example
 * addLogCommand(signed) // "palisade witness add-log --key 'palisade/acme+…' --root-fingerprint 9f86…"
 */
export function addLogCommand(signed: Pick<SignedRootV1, 'logKey' | 'fingerprint'>): string {
  return `palisade witness add-log --key '${signed.logKey}' --root-fingerprint ${signed.fingerprint}`
}
