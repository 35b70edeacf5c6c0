/**
 * The steps of a root rotation that talk to the server, shared by
 * `palisade root rotate|upload` (root.ts) and `palisade incident
 * freeze|unfreeze` (incident.ts):
 *
 * - draft: fetch the org's roots, verify the chain from the pinned
 *   fingerprint (as devices do; the server's word is not taken), build
 *   version N+1 with the changes, write the draft for admins to sign;
 * - upload: verify the chain again, check locally with protocol
 *   `verifyRootUpdate` that a root threshold of vN's keys and of vN+1's
 *   signed, show the whole chain to every witness the admin names
 *   (`POST /add-root`, so witnesses refuse to cosign checkpoints that still
 *   name vN: a server cannot withhold vN+1 from devices), then POST it to
 *   the server, and verify the chain the server then serves.
 */
import { dsse, isProtocolError, verifyRootChain, type Root, type SignedRoot } from '@palisade/protocol'
import type { Invocation } from '../context.js'
import { CliError, isCliError } from '../errors.js'
import { getRoots } from '../http/org-api.js'
import { postRoot } from '../http/roots-api.js'
import { openOrgSession, type OrgSession } from '../http/session.js'
import { formatFields, type JsonValue } from '../io/output.js'
import { describeRootChanges, formatRootChanges } from '../payload/describe-root-change.js'
import { rootJson } from '../payload/describe-root.js'
import { buildNextRoot, type RootChanges } from '../payload/root-changes.js'
import { draftEnvelopeText, newRotationDraft, type RootDraft } from '../payload/root-draft.js'
import { readRootDraftFile, writeRootDraftFile } from '../payload/root-draft-file.js'
import { describeProgress, progressJson, requireAnchor, requireNextVersion, requireRotationSignatures, rotationOf, rotationProgress } from '../payload/root-rotation.js'
import { requirePin } from '../trust/pins.js'
import { quote } from '../validate.js'

/** The org's chain as the server serves it, verified from the pin. */
export interface VerifiedChain {
  readonly session: OrgSession
  readonly pin: string
  /** The envelopes as served, v1 first. */
  readonly envelopes: readonly string[]
  readonly chain: readonly SignedRoot[]
  readonly current: SignedRoot
}

/**
 * Fetches the org's roots and verifies them from the pinned fingerprint
 * (or `fingerprint`). Expiry is not checked: an expired root in force can
 * still be renewed by a rotation. Throws CLI_SERVER_UNTRUSTED when the
 * chain does not verify.
 */
export async function fetchVerifiedChain(inv: Invocation, fingerprint: string | undefined): Promise<VerifiedChain> {
  const session = await openOrgSession(inv)
  const pin = await requirePin(inv.home, session.org, fingerprint)
  const envelopes = await getRoots(session)
  let chain: readonly SignedRoot[]
  try {
    chain = verifyRootChain({ pinned: pin }, envelopes, 0)
  } catch (e) {
    if (!isProtocolError(e)) throw e
    throw new CliError('CLI_SERVER_UNTRUSTED', `the roots the server at ${session.server} serves for org ${quote(session.org)} do not verify from fingerprint ${pin}: ${e.message}`, {
      server: session.server,
      cause: e,
      hint: 'nothing was written or uploaded; treat the server as compromised until this is explained',
    })
  }
  return { session, pin, envelopes, chain, current: chain[chain.length - 1]! }
}

/** How the draft's result is worded: a general rotation or an incident freeze. */
export interface DraftWording {
  /** "the rotation", "the freeze", … */
  readonly what: string
  /** Extra lines after the next steps. */
  readonly after?: string
}

/**
 * Builds vN+1 from the verified root in force and writes the draft to
 * `out` (never replacing a file); prints what changes and what the admins
 * must do next.
 */
export async function draftRotation(inv: Invocation, changes: RootChanges, out: string, fingerprint: string | undefined, wording: DraftWording): Promise<RootDraft> {
  const { current, envelopes } = await fetchVerifiedChain(inv, fingerprint)
  const now = Math.floor(Date.now() / 1000)
  if (now >= current.root.expiresAt) {
    inv.out.note(`warning: root v${current.root.version} in force expired at ${new Date(current.root.expiresAt * 1000).toISOString()}; devices refuse every command until v${current.root.version + 1} is uploaded`)
  }
  const built = buildNextRoot(current.root, changes, now)
  const draft = newRotationDraft(built.payload, envelopes, changes.addWitnesses ?? [])
  await writeRootDraftFile(out, draft, false)
  const progress = rotationProgress(draft)
  const lines = describeRootChanges(current.root, draft.root)
  inv.out.result(
    { draft: out, ...rootJson(draft.root, draft.fingerprint), previousVersion: current.root.version, previousFingerprint: current.fingerprint, changes: lines, signatures: progressJson(progress) },
    () =>
      `Wrote ${wording.what} of org ${quote(draft.root.org)} (root v${draft.root.version}, not yet signed) to ${out}.\n` +
      formatRootChanges(current.root, draft.root) +
      formatFields([
        ['fingerprint', draft.fingerprint],
        ['follows', `v${current.root.version} ${current.fingerprint}`],
      ]) +
      nextSteps(current.root, draft, out) +
      (wording.after === undefined ? '' : `${wording.after}\n`),
  )
  return draft
}

/** What the admins do next with a fresh draft. */
function nextSteps(current: Root, draft: RootDraft, out: string): string {
  const oldT = current.thresholds.root
  const newT = draft.root.thresholds.root
  const oldNames = current.admins.map((a) => a.name)
  const newNames = draft.root.admins.map((a) => a.name)
  const same = oldNames.join() === newNames.join() && current.admins.every((a, i) => a.id === draft.root.admins[i]!.id)
  const who = same
    ? `${Math.max(oldT, newT)} admins (of ${newNames.join(', ')}) sign it: ${oldT} of v${current.version}'s keys and ${newT} of v${draft.root.version}'s, the same keys here`
    : `admins sign it until ${oldT} of v${current.version}'s keys (${oldNames.join(', ')}) and ${newT} of v${draft.root.version}'s (${newNames.join(', ')}) have signed`
  const added = draft.witnesses.map((w) => `\n  0. each new witness must know the log first: \`palisade witness add-log --key ${draft.root.log.key} --root-fingerprint ${draft.rotation?.anchorFingerprint ?? '<v1 fingerprint>'}\` (at ${w.url})`).join('')
  return (
    `\nNext:${added}\n` +
    `  1. ${who}, each on their own machine:\n` +
    `       palisade root sign ${out} --key <name>\n` +
    `  2. then one of them uploads it, naming every witness of the org (each is shown the new root first):\n` +
    `       palisade root upload ${out} --witness-url <url>…\n` +
    `Nothing changes for devices until the upload.\n`
  )
}

/**
 * Uploads a signed rotation draft: the chain the server serves must verify
 * from the pin and end at the root the draft follows, the signatures must
 * meet both thresholds (checked here with protocol first), and after the
 * POST the chain must verify again and end at the draft's root.
 */
export async function uploadRotation(inv: Invocation, file: string, fingerprint: string | undefined, witnessUrls: readonly string[] = []): Promise<void> {
  const draft = await readRootDraftFile(file, 'any')
  rotationOf(draft, file)
  const before = await fetchVerifiedChain(inv, fingerprint)
  const { session, pin } = before
  requireAnchor(draft, pin, file)
  if (before.current.fingerprint === draft.fingerprint) {
    // Uploaded already. The very same envelope again asks the server to
    // publish once more (the witnesses may not have cosigned the first time).
    if (dsse.formatEnvelope(before.current.envelope) === draftEnvelopeText(draft)) {
      await tellWitnesses(inv, draft, before.envelopes.slice(0, -1), witnessUrls)
      await post(session, draft, file)
    } else inv.out.note(`root v${draft.root.version} was uploaded already (with other signatures); nothing to send`)
  } else {
    requireNextVersion(draft, before.current, file)
    requireRotationSignatures(before.current, draft, Math.floor(Date.now() / 1000))
    // Witnesses first: once a quorum knows vN+1, the server can no longer get
    // a checkpoint naming vN cosigned, so it cannot withhold vN+1 from devices.
    await tellWitnesses(inv, draft, before.envelopes, witnessUrls)
    await post(session, draft, file)
  }

  const after = await fetchVerifiedChain(inv, fingerprint)
  if (after.current.fingerprint !== draft.fingerprint) {
    throw new CliError('CLI_SERVER_UNTRUSTED', `the server at ${session.server} accepted root v${draft.root.version}, but the chain it serves now ends at v${after.current.root.version} with fingerprint ${after.current.fingerprint}, not ${draft.fingerprint}`, {
      server: session.server,
    })
  }
  const previous = after.chain[after.chain.length - 2]!
  const chainRows = after.chain.map((r) => ({ version: r.root.version, fingerprint: r.fingerprint }))
  inv.out.result(
    { org: draft.root.org, server: session.server, version: draft.root.version, fingerprint: draft.fingerprint, frozen: draft.root.frozen, pinned: pin, chain: chainRows, changes: describeRootChanges(previous.root, draft.root) },
    () =>
      `Root v${draft.root.version} of org ${quote(draft.root.org)} is in force on ${session.server}, verified from the pinned fingerprint.\n` +
      formatRootChanges(previous.root, draft.root) +
      'Fingerprint chain (v1 is the one devices pinned):\n' +
      chainRows.map((r) => `    v${r.version}  ${r.fingerprint}\n`).join('') +
      (draft.root.frozen ? 'The org is FROZEN: devices refuse every command (PROTO_FROZEN) until `palisade incident unfreeze`.\n' : ''),
  )
}

/** How long one witness may take to answer /add-root. */
const WITNESS_TIMEOUT_MS = 10_000

/**
 * Shows the chain `previous` + the draft to each witness (`POST <url>/add-root`,
 * docs/WIRE.md): URLs from --witness-url and those the draft adds. A witness
 * acknowledges when it answers 200 with the draft's version and fingerprint.
 * Fewer acknowledgements than the new root's quorum: CLI_WITNESS_REFUSED, and
 * nothing goes to the server. No URL at all: a warning (witnesses that pin the
 * org's root will then refuse checkpoints naming the new root).
 */
async function tellWitnesses(inv: Invocation, draft: RootDraft, previous: readonly string[], given: readonly string[]): Promise<void> {
  const urls = [...new Set([...given, ...draft.witnesses.map((w) => w.url.replace(/\/+$/, ''))])]
  const quorum = draft.root.witnesses.quorum
  if (urls.length === 0) {
    if (quorum > 0) {
      inv.out.note(
        `warning: no --witness-url: no witness was shown root v${draft.root.version}; witnesses that pin the org's root refuse to cosign checkpoints naming it until they are (and until then a server can withhold it from devices)`,
      )
    }
    return
  }
  const body = JSON.stringify({ origin: draft.root.log.origin, roots: [...previous, draftEnvelopeText(draft)] })
  let acked = 0
  const failures: string[] = []
  for (const url of urls) {
    const why = await addRoot(url, body, draft)
    if (why === undefined) acked++
    else failures.push(`${url}: ${why}`)
  }
  for (const f of failures) inv.out.note(`witness ${f}`)
  if (acked < quorum) {
    throw new CliError('CLI_WITNESS_REFUSED', `${acked} of ${urls.length} witnesses acknowledged root v${draft.root.version}; its quorum is ${quorum}`, {
      details: { acknowledged: acked, quorum, failures: failures.join('; ') },
    })
  }
  inv.out.note(`${acked} of ${urls.length} witnesses acknowledged root v${draft.root.version} (quorum ${quorum}).`)
}

/** POSTs the chain to one witness; undefined when it acknowledged the draft's root, else why not. */
async function addRoot(url: string, body: string, draft: RootDraft): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/add-root`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(WITNESS_TIMEOUT_MS),
    })
    const text = (await res.text()).slice(0, 2000)
    if (res.status !== 200) return `HTTP ${res.status}: ${text.split('\n')[0]!.replace(/[^\x20-\x7e]/g, '?').slice(0, 300)}`
    const answer = JSON.parse(text) as { version?: unknown; fingerprint?: unknown }
    if (answer.version !== draft.root.version || answer.fingerprint !== draft.fingerprint) {
      return `answered v${String(answer.version)} ${String(answer.fingerprint)}, not v${draft.root.version} ${draft.fingerprint}`
    }
    return undefined
  } catch (e) {
    return `no valid answer (${String((e as Error)?.message ?? e).split('\n', 1)[0]})`
  }
}

async function post(session: OrgSession, draft: RootDraft, file: string): Promise<void> {
  try {
    const answer = await postRoot(session, draftEnvelopeText(draft), draft.witnesses)
    if (answer.version !== draft.root.version) {
      throw new CliError('CLI_SERVER_RESPONSE', `the server at ${session.server} answered version ${answer.version} for root v${draft.root.version}`, { server: session.server })
    }
  } catch (e) {
    if (isCliError(e, 'CLI_SERVER_REFUSED') && e.details?.['status'] === 503) {
      throw new CliError('CLI_SERVER_REFUSED', e.message, {
        server: session.server,
        cause: e,
        ...(e.details === undefined ? {} : { details: e.details }),
        hint: `root v${draft.root.version} is stored and logged, but the witnesses did not cosign it yet; once they are reachable (and know the log: \`palisade witness add-log --key ${draft.root.log.key} --root-fingerprint ${draft.rotation?.anchorFingerprint ?? '<v1 fingerprint>'}\`, and were shown the new root: --witness-url), run \`palisade root upload ${file} --witness-url <url>…\` again`,
      })
    }
    throw e
  }
}

/** The progress of a rotation draft, for `root sign`. */
export function signedRotationJson(draft: RootDraft): { readonly [k: string]: JsonValue } {
  return progressJson(rotationProgress(draft))
}

/** The lines `root sign` prints after signing a rotation draft. */
export function signedRotationText(draft: RootDraft, file: string): string {
  const p = rotationProgress(draft)
  return describeProgress(p) + (p.ready ? `Ready: upload it with \`palisade root upload ${file}\`.` : `Pass ${file} on to the next admin.`)
}
