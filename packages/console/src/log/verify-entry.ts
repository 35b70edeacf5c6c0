/**
 * In-browser verification of one log entry, trusting nothing the server
 * says: the root chain is verified from the pinned fingerprint, the latest
 * checkpoint must be signed by the root's log key and cosigned by a quorum
 * of the root's witnesses (protocol openCosignedCheckpoint), and the
 * entry's leaf hash must be included in that checkpoint's tree (protocol
 * merkle.checkInclusion). Each step is reported, so the page can show
 * exactly which one failed.
 */
import { checkpoint as cp, COMMAND_PAYLOAD_TYPE, cosignature, dsse, fromBase64, merkle, note, toBase64, type SignedRoot } from '@palisade/protocol'
import { api, seg } from '../api/http'
import type { LogEntry } from '../api/types'
import { verifyAsync } from '../crypto/verify-async'
import { loadOrgTrust } from '../trust/org-trust'

/** One step of the verification. */
export interface Step {
  readonly label: string
  readonly ok: boolean
  readonly detail: string
}

/** The outcome: every step run, `verified` when all passed. */
export interface EntryVerification {
  readonly verified: boolean
  readonly steps: readonly Step[]
  /** The entry's leaf data decoded for display, when it parsed. */
  readonly payloadType?: string
  readonly payloadText?: string
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * Verifies entry `index` of `org`'s log.
 *
 * @example
 * const v = await verifyEntry('acme', 3)
 * v.verified // true
 */
export async function verifyEntry(org: string, index: number): Promise<EntryVerification> {
  const steps: Step[] = []
  const done = (extra: Partial<EntryVerification> = {}): EntryVerification => ({ verified: steps.every((s) => s.ok), steps, ...extra })

  // 1. the root chain, from the pin
  const trust = await loadOrgTrust(org)
  if (trust.chain.length === 0) {
    steps.push({ label: 'Root of trust', ok: false, detail: trust.failure ?? 'not verified' })
    return done()
  }
  const signed: SignedRoot = trust.chain[trust.chain.length - 1]!
  const root = signed.root
  steps.push({
    label: 'Root of trust',
    ok: true,
    detail: `root v${root.version} verified from the pinned fingerprint ${trust.pinned!.slice(0, 16)}… (${trust.chain.length} version(s))`,
  })

  // 2. the checkpoint: log key + witness quorum from that root
  const { note: noteText } = await api<{ note: string }>('GET', `/v1/orgs/${seg(org)}/log/checkpoint`)
  let checkpoint: cp.CosignedCheckpoint
  try {
    checkpoint = await verifyAsync((p) =>
      cp.openCosignedCheckpoint(noteText, {
        origin: root.log.origin,
        logVerifier: note.verifierFromString(root.log.key, p),
        witnesses: root.witnesses.keys.map((k) => cosignature.witnessVerifierFromString(k, p)),
        quorum: root.witnesses.quorum,
      }),
    )
    steps.push({
      label: 'Checkpoint',
      ok: true,
      detail: `size ${checkpoint.checkpoint.size}, signed by the log key and cosigned by ${checkpoint.cosignatures.map((c) => c.name).join(', ')} (quorum ${root.witnesses.quorum})`,
    })
  } catch (e) {
    steps.push({ label: 'Checkpoint', ok: false, detail: message(e) })
    return done()
  }
  const size = checkpoint.checkpoint.size
  if (index >= size) {
    steps.push({ label: 'Inclusion', ok: false, detail: `entry ${index} is not covered by the latest checkpoint (size ${size})` })
    return done()
  }

  // 3. the entry and its inclusion proof
  const { entries } = await api<{ entries: LogEntry[] }>('GET', `/v1/orgs/${seg(org)}/log/entries?start=${index}&end=${index + 1}`)
  const entry = entries[0]
  if (entry === undefined || entry.index !== index) {
    steps.push({ label: 'Entry', ok: false, detail: `the server did not return entry ${index}` })
    return done()
  }
  let data: Uint8Array
  try {
    data = fromBase64(entry.data, 'entry data')
  } catch (e) {
    steps.push({ label: 'Entry', ok: false, detail: message(e) })
    return done()
  }
  const { proof } = await api<{ proof: string[] }>('GET', `/v1/orgs/${seg(org)}/log/proof/inclusion?index=${index}&size=${size}`)
  try {
    const hashes = proof.map((h) => fromBase64(h, 'proof hash'))
    const leaf = merkle.leafHash(data)
    merkle.checkInclusion(leaf, index, size, hashes, checkpoint.checkpoint.rootHash)
    steps.push({ label: 'Inclusion', ok: true, detail: `leaf hash ${toBase64(leaf).slice(0, 16)}… is in the tree of size ${size} (${hashes.length} proof hashes)` })
  } catch (e) {
    steps.push({ label: 'Inclusion', ok: false, detail: `${message(e)} — the entry is not what the log committed to` })
  }

  // 4. what the entry says: a command must carry its threshold of admin signatures under the root
  try {
    const env = dsse.parseEnvelope(data)
    if (env.payloadType === COMMAND_PAYLOAD_TYPE) {
      // signed under the root in force when it was drafted: any version of the verified chain
      let passed: string | undefined
      let last = 'no root version accepts it'
      for (const version of [...trust.chain].reverse()) {
        const r = version.root
        try {
          const keys = r.admins.map((a) => ({ keyid: a.id, publicKey: a.publicKey }))
          const verified = await verifyAsync((p) => dsse.verifyEnvelope(env, { payloadType: COMMAND_PAYLOAD_TYPE, keys, threshold: r.thresholds.command }, p))
          const names = verified.signedBy.map((id) => r.admins.find((a) => a.id === id)?.name ?? id)
          passed = `signed by ${names.join(', ')}: the command threshold (${r.thresholds.command}) of root v${r.version}`
          break
        } catch (e) {
          last = message(e)
        }
      }
      steps.push(passed === undefined ? { label: 'Signatures', ok: false, detail: last } : { label: 'Signatures', ok: true, detail: passed })
    }
    return done({ payloadType: env.payloadType, payloadText: new TextDecoder().decode(env.payload) })
  } catch {
    return done()
  }
}
