/**
 * The witness proper: takes an add-checkpoint body and either cosigns the
 * checkpoint or refuses it, recording every refusal.
 *
 * Guarantees (c2sp.org/tlog-witness §add-checkpoint):
 * - requests for one origin are serialised (KeyedMutex) from reading the
 *   stored checkpoint to persisting the new one, so two conflicting requests
 *   can never both be judged against the same state: no fork, no rollback;
 * - the new checkpoint is durable before the cosignature leaves this
 *   module ("The witness MUST persist the new checkpoint before
 *   responding"), so a crash cannot make the witness forget a checkpoint it
 *   vouched for; the cosignature is computed first only so that the stored
 *   note can include it;
 * - every refusal is appended to refusals.jsonl, logged and sent to the
 *   webhook; every cosignature is logged and sent to the webhook.
 *
 * Trusts: the log keys in logs.json, its own key, and the data directory.
 */
import type { FastifyBaseLogger } from 'fastify'
import {
  checkpointRootLine,
  cosignature,
  isProtocolError,
  note,
  parseJson,
  toBase64,
  verifyAnchorRoot,
  verifyRootUpdate,
  type SignedRoot,
} from '@palisade/protocol'
import { REFUSAL_STATUS, type RefusalCode } from './errors.js'
import { KeyedMutex } from './keyed-mutex.js'
import type { Webhook } from './notify/webhook.js'
import { parseAddCheckpointRequest, type AddCheckpointRequest } from './request/add-checkpoint-request.js'
import { emptyHead, judgeAddCheckpoint, type Refused } from './request/judge.js'
import type { CheckpointStore } from './store/checkpoint-store.js'
import type { LogRegistry, TrustedLog } from './store/log-registry.js'
import type { RootStore } from './store/root-store.js'
import { excerpt, NOTE_EVIDENCE_CHARS, ORIGIN_CHARS, type RefusalLog, type RefusalRecord } from './store/refusal-log.js'
import type { WitnessKey } from './store/witness-key.js'

/** What add-checkpoint answers. */
export type Outcome =
  | { readonly ok: true; readonly cosignature: string }
  | {
      readonly ok: false
      readonly code: RefusalCode
      readonly storedSize?: number
      readonly detail?: string
      /** True once the log signature verified: the refusal is evidence, not noise anyone could send. */
      readonly authenticated: boolean
    }

/** What add-root answers. */
export type AddRootOutcome =
  | { readonly ok: true; readonly origin: string; readonly version: number; readonly fingerprint: string; readonly updated: boolean }
  | {
      readonly ok: false
      readonly status: 400 | 404 | 409 | 422
      readonly code: 'WIT_MALFORMED' | 'WIT_LOG_UNKNOWN' | 'WIT_ROOT_NOT_PINNED' | 'WIT_ROOT_INVALID'
      readonly detail: string
    }

/** The newest org root a witness verified for a log: the pinned v1 until /add-root moves it. */
interface KnownRoot {
  readonly version: number
  readonly fingerprint: string
  /** The log key that root names; undefined for the pinned v1 (logs.json holds it). */
  readonly logVerifier?: note.Verifier
}

/** Largest add-root body (http/app.ts lets no larger one through). */
export const ADD_ROOT_MAX_BYTES = 1024 * 1024

/** Most root versions one /add-root chain may carry. */
export const MAX_ROOT_CHAIN = 1024

/** What the cosigner works with. */
export interface CosignerDeps {
  readonly key: WitnessKey
  readonly logs: LogRegistry
  readonly store: CheckpointStore
  /** The newest verified org root of each log with a pinned root. */
  readonly roots: RootStore
  readonly refusals: RefusalLog
  readonly webhook: Webhook | undefined
  /** POSIX seconds. */
  readonly now: () => number
}

/** The request facts a refusal record keeps. */
interface RequestFacts {
  readonly ip: string
  readonly log: FastifyBaseLogger
}

export class Cosigner {
  readonly #deps: CosignerDeps
  readonly #mutex = new KeyedMutex()

  constructor(deps: CosignerDeps) {
    this.#deps = deps
  }

  /**
   * Handles one add-checkpoint body.
   *
   * @example
   * const outcome = await cosigner.addCheckpoint(body, { ip: req.ip, log: req.log })
   */
  async addCheckpoint(body: Uint8Array, facts: RequestFacts): Promise<Outcome> {
    let req: AddCheckpointRequest
    try {
      req = parseAddCheckpointRequest(body)
    } catch {
      return this.#refuse(facts, 'WIT_MALFORMED', { excerpt: excerpt(body) })
    }
    const log = (await this.#deps.logs.current()).get(req.origin)
    // "If the checkpoint origin is unknown, the witness MUST respond with a 404"
    if (log === undefined) {
      return this.#refuse(facts, 'WIT_LOG_UNKNOWN', { origin: req.origin, oldSize: req.oldSize, excerpt: excerpt(body) })
    }
    return this.#mutex.run(log.origin, async () => {
      const stored = await this.#deps.store.get(log.origin)
      // A pinned log is signed with the key of the newest root we verified (root-store.ts).
      const verifier = log.rootFingerprint === undefined ? log.verifier : ((await this.#knownRoot(log)).logVerifier ?? log.verifier)
      const j = judgeAddCheckpoint(req, verifier, stored ?? emptyHead())
      if (!j.ok) return this.#refuseJudged(facts, req, j, body)
      // A Palisade org log (pinned root): the checkpoint must name exactly
      // the newest root the admins showed us, so a server withholding a
      // rotation from devices cannot get it cosigned.
      if (log.rootFingerprint !== undefined) {
        const known = await this.#knownRoot(log)
        const refusal = judgeRootLine(j.checkpoint.extensions, known)
        if (refusal !== undefined) {
          const r = await this.#refuseJudged(facts, req, { ok: false, code: refusal.code, storedSize: stored?.size ?? 0, checkpoint: j.checkpoint }, body)
          return { ...r, detail: refusal.detail }
        }
      }

      const time = this.#deps.now()
      const line = await cosignature.cosign(j.text, { name: this.#deps.key.name, seed: this.#deps.key.seed }, time)
      const cosigned = j.text + '\n' + j.logSignatures.map((s) => note.formatSignatureLine(s)).join('') + line
      // Persist first: only a durable checkpoint may be vouched for.
      await this.#deps.store.put({
        origin: log.origin,
        size: j.checkpoint.size,
        rootHash: j.checkpoint.rootHash,
        note: cosigned,
        cosignedAt: time,
      })
      facts.log.info({ origin: log.origin, oldSize: req.oldSize, size: j.checkpoint.size }, 'checkpoint cosigned')
      this.#deps.webhook?.notify({
        type: 'checkpoint.cosigned',
        witness: this.#deps.key.name,
        origin: log.origin,
        oldSize: req.oldSize,
        size: j.checkpoint.size,
        rootHash: toBase64(j.checkpoint.rootHash),
        note: cosigned,
        time: new Date(time * 1000).toISOString(),
      })
      return { ok: true, cosignature: line }
    })
  }

  /**
   * Handles one add-root body, `{ "origin": "<log origin>", "roots": ["<root v1 envelope JSON>", …] }`:
   * the whole chain from v1, which must verify from the fingerprint pinned
   * for the log (verifyAnchorRoot, then verifyRootUpdate version by version:
   * what verifyRootChain does, without its expiry check, since an expired
   * newest root must still fence off the older ones). Records the newest
   * version if it is newer than the one known; never goes back. A chain that
   * disagrees with the version already verified (another fingerprint at
   * that version) is refused as WIT_ROOT_INVALID. Anyone may call it: only
   * admin-signed chains verify.
   *
   * @example
   * await cosigner.addRoot(utf8(JSON.stringify({ origin, roots: [v1, v2] })), { ip, log })
   */
  async addRoot(body: Uint8Array, facts: RequestFacts): Promise<AddRootOutcome> {
    const refuse = (status: 400 | 404 | 409 | 422, code: 'WIT_MALFORMED' | 'WIT_LOG_UNKNOWN' | 'WIT_ROOT_NOT_PINNED' | 'WIT_ROOT_INVALID', detail: string): AddRootOutcome => {
      facts.log.warn({ code, status, detail: detail.slice(0, 300) }, 'add-root refused')
      return { ok: false, status, code, detail }
    }
    let origin: unknown
    let roots: unknown
    try {
      const doc = parseJson(body, ADD_ROOT_MAX_BYTES, 'an add-root body')
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not an object')
      ;({ origin, roots } = doc as Record<string, unknown>)
    } catch {
      return refuse(400, 'WIT_MALFORMED', 'the body is not a JSON object { "origin", "roots" }')
    }
    if (typeof origin !== 'string' || !Array.isArray(roots) || roots.length === 0 || !roots.every((r) => typeof r === 'string')) {
      return refuse(400, 'WIT_MALFORMED', 'the body needs "origin" (a string) and "roots" (root envelope JSON strings, from v1)')
    }
    if (roots.length > MAX_ROOT_CHAIN) return refuse(400, 'WIT_MALFORMED', `at most ${MAX_ROOT_CHAIN} root versions`)
    const log = (await this.#deps.logs.current()).get(origin)
    if (log === undefined) return refuse(404, 'WIT_LOG_UNKNOWN', `this witness does not witness ${JSON.stringify(origin.slice(0, ORIGIN_CHARS))}`)
    const pin = log.rootFingerprint
    if (pin === undefined) {
      return refuse(409, 'WIT_ROOT_NOT_PINNED', `log ${log.origin} was registered without --root-fingerprint; this witness does not track its root`)
    }
    let chain: SignedRoot[]
    try {
      chain = [verifyAnchorRoot(roots[0] as string, pin)]
      for (const e of roots.slice(1) as string[]) chain.push(verifyRootUpdate(chain[chain.length - 1]!, e))
    } catch (e) {
      if (!isProtocolError(e)) throw e
      return refuse(422, 'WIT_ROOT_INVALID', `${e.code}: ${e.message}`)
    }
    const stray = chain.find((c) => c.root.log.origin !== log.origin)
    if (stray !== undefined) {
      return refuse(422, 'WIT_ROOT_INVALID', `root v${stray.root.version} names log ${stray.root.log.origin}, not ${log.origin}`)
    }
    return this.#mutex.run(log.origin, async () => {
      const known = await this.#knownRoot(log)
      const newest = chain[chain.length - 1]!
      const same = chain[known.version - 1]
      if (same !== undefined && same.fingerprint !== known.fingerprint) {
        return refuse(422, 'WIT_ROOT_INVALID', `root v${known.version} of this chain is ${same.fingerprint}; this witness verified ${known.fingerprint}`)
      }
      if (newest.root.version <= known.version) {
        return { ok: true, origin: log.origin, version: known.version, fingerprint: known.fingerprint, updated: false } as const
      }
      const verifiedAt = this.#deps.now()
      await this.#deps.roots.put({ origin: log.origin, rootVersion: newest.root.version, fingerprint: newest.fingerprint, verifiedAt, logKey: newest.root.log.key })
      facts.log.info({ origin: log.origin, from: known.version, to: newest.root.version }, 'org root verified')
      this.#deps.webhook?.notify({
        type: 'root.verified',
        witness: this.#deps.key.name,
        origin: log.origin,
        version: newest.root.version,
        fingerprint: newest.fingerprint,
        time: new Date(verifiedAt * 1000).toISOString(),
      })
      return { ok: true, origin: log.origin, version: newest.root.version, fingerprint: newest.fingerprint, updated: true } as const
    })
  }

  async #knownRoot(log: TrustedLog): Promise<KnownRoot> {
    const state = await this.#deps.roots.get(log.origin)
    if (state !== undefined) {
      const logVerifier = state.logKey === undefined ? undefined : note.verifierFromString(state.logKey)
      return { version: state.rootVersion, fingerprint: state.fingerprint, ...(logVerifier === undefined ? {} : { logVerifier }) }
    }
    return { version: 1, fingerprint: log.rootFingerprint! }
  }

  /**
   * Whether `body` is a request some log could have sent: it parses, names a
   * witnessed log and carries a valid signature of that log. Records
   * nothing and notifies no one, so the HTTP layer may ask it cheaply (one
   * parse, at most one Ed25519 check per signature line) before deciding
   * whether an address that already sent much junk gets a turn: junk is
   * refused there without being queued anywhere, and the log's own client,
   * on the same address or not, always passes.
   *
   * @example
   * if (!limiter.junkAllowed(ip) && !(await cosigner.provesLogSignature(body))) reply.code(429)
   */
  async provesLogSignature(body: Uint8Array): Promise<boolean> {
    let req: AddCheckpointRequest
    try {
      req = parseAddCheckpointRequest(body)
    } catch {
      return false
    }
    const log = (await this.#deps.logs.current()).get(req.origin)
    if (log === undefined) return false
    const verifier = log.rootFingerprint === undefined ? log.verifier : ((await this.#knownRoot(log)).logVerifier ?? log.verifier)
    // Judged against the empty head: only whether the signature verified matters here.
    const j = judgeAddCheckpoint(req, verifier, emptyHead())
    return j.ok || j.checkpoint !== undefined
  }

  /**
   * Records a refusal that happened outside addCheckpoint (a body Fastify
   * refused before it reached us, such as one over the size limit).
   */
  async refuseEarly(facts: RequestFacts, code: RefusalCode): Promise<void> {
    await this.#refuse(facts, code, {})
  }

  /** The witnessed logs and the size each was last cosigned at. */
  async heads(): Promise<{ origin: string; size: number }[]> {
    const out: { origin: string; size: number }[] = []
    for (const origin of (await this.#deps.logs.current()).keys()) {
      out.push({ origin, size: (await this.#deps.store.get(origin))?.size ?? 0 })
    }
    return out
  }

  #refuseJudged(facts: RequestFacts, req: AddCheckpointRequest, j: Refused, body: Uint8Array): Promise<Outcome> {
    const signed = j.checkpoint !== undefined
    return this.#refuse(
      facts,
      j.code,
      {
        origin: req.origin,
        oldSize: req.oldSize,
        storedSize: j.storedSize,
        ...(signed ? { size: j.checkpoint.size, note: req.note.slice(0, NOTE_EVIDENCE_CHARS) } : { excerpt: excerpt(body) }),
      },
      signed,
    )
  }

  async #refuse(
    facts: RequestFacts,
    code: RefusalCode,
    fields: Omit<RefusalRecord, 'time' | 'ip' | 'code' | 'status'>,
    authenticated = false,
  ): Promise<Outcome> {
    const status = REFUSAL_STATUS[code]
    const origin = fields.origin?.slice(0, ORIGIN_CHARS)
    const record: RefusalRecord = {
      time: new Date().toISOString(),
      ip: facts.ip,
      code,
      status,
      ...fields,
      ...(origin === undefined ? {} : { origin }),
    }
    const { excerpt: _excerpt, note: _note, ...summary } = record
    // A stale old size is routine (a log catching up, or asking with old 0
    // what the witness holds); everything else deserves attention.
    if (code === 'WIT_OLD_SIZE_CONFLICT') facts.log.info(summary, 'add-checkpoint refused')
    else facts.log.warn(summary, 'add-checkpoint refused')
    // `authenticated` lets the webhook coalesce the refusals anyone could
    // send (no valid log signature) before the ones that are evidence.
    this.#deps.webhook?.notify({ type: 'checkpoint.refused', witness: this.#deps.key.name, ...summary, authenticated })
    await this.#deps.refusals.append(record, authenticated)
    return { ok: false, code, authenticated, ...(fields.storedSize === undefined ? {} : { storedSize: fields.storedSize }) }
  }
}

/**
 * The root-line rule of a log with a pinned org root: exactly one
 * well-formed `palisade-root` line, naming exactly the newest root version
 * (and fingerprint) this witness verified. Older is a withheld rotation;
 * newer, or another fingerprint, is a root the admins did not show us yet.
 */
export function judgeRootLine(
  extensions: readonly string[],
  known: KnownRoot,
): { readonly code: 'WIT_ROOT_LINE' | 'WIT_ROOT_STALE' | 'WIT_ROOT_UNKNOWN'; readonly detail: string } | undefined {
  let line
  try {
    line = checkpointRootLine(extensions)
  } catch (e) {
    if (!isProtocolError(e)) throw e
    return { code: 'WIT_ROOT_LINE', detail: e.message }
  }
  if (line.version < known.version) {
    return { code: 'WIT_ROOT_STALE', detail: `the checkpoint names root v${line.version}; this witness verified v${known.version}: a root update is being withheld` }
  }
  if (line.version > known.version) {
    return { code: 'WIT_ROOT_UNKNOWN', detail: `the checkpoint names root v${line.version}; this witness verified only v${known.version}: admins must POST /add-root first` }
  }
  if (line.fingerprint !== known.fingerprint) {
    return { code: 'WIT_ROOT_UNKNOWN', detail: `the checkpoint names root v${line.version} ${line.fingerprint}; this witness verified ${known.fingerprint}` }
  }
  return undefined
}
