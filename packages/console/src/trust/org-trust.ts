/**
 * The org's root of trust as this browser verified it: the chain of root
 * versions from the pinned v1 fingerprint (protocol verifyRootChain, each
 * version signed by a threshold of the previous one's keys and its own).
 */
import { dsse, parseRoot, rootFingerprint, verifyRootChain, type Root, type SignedRoot } from '@palisade/protocol'
import { api, seg } from '../api/http'
import { verifyAsync } from '../crypto/verify-async'
import { pinnedFingerprint } from './pin'

/** The verified chain, or why there is none. */
export interface OrgTrust {
  /** The pinned fingerprint the chain was verified from, if any. */
  readonly pinned: string | undefined
  /** The fingerprint of the v1 the server serves (compare it before pinning). */
  readonly served: string
  /** Every version, verified (empty when not pinned or when verification failed). */
  readonly chain: readonly SignedRoot[]
  /** The current root: verified when `chain` is non-empty, else as the server claims it (do not trust). */
  readonly current: Root
  readonly currentFingerprint: string
  /** Why verification failed, when it did. */
  readonly failure: string | undefined
  /** The root envelopes as served (JSON strings), v1 first. */
  readonly envelopes: readonly string[]
}

/**
 * Fetches and verifies the org's roots.
 *
 * @example
 * const trust = await loadOrgTrust('acme')
 * if (trust.chain.length === 0) showWarning(trust.failure)
 */
export async function loadOrgTrust(org: string): Promise<OrgTrust> {
  const { roots } = await api<{ roots: string[] }>('GET', `/v1/orgs/${seg(org)}/roots`)
  if (roots.length === 0) throw new Error('the server has no root for this org yet')
  const served = rootFingerprint(dsse.parseEnvelope(JSON.parse(roots[0]!)).payload)
  const last = dsse.parseEnvelope(JSON.parse(roots[roots.length - 1]!))
  const claimed = parseRoot(last.payload)
  const pinned = pinnedFingerprint(org)
  let chain: readonly SignedRoot[] = []
  let failure: string | undefined
  if (pinned === undefined) {
    failure = 'no root fingerprint is pinned in this browser for this org'
  } else {
    try {
      // expiry is checked against this machine's clock, in seconds
      chain = await verifyAsync((p) => verifyRootChain({ pinned }, roots, Math.floor(Date.now() / 1000), p))
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e)
    }
  }
  const current = chain.length > 0 ? chain[chain.length - 1]!.root : claimed
  return {
    pinned,
    served,
    chain,
    current,
    currentFingerprint: rootFingerprint(last.payload),
    failure,
    envelopes: roots,
  }
}
