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
import { cosignature, note, toBase64 } from '@palisade/protocol'
import { REFUSAL_STATUS, type RefusalCode } from './errors.js'
import { KeyedMutex } from './keyed-mutex.js'
import type { Webhook } from './notify/webhook.js'
import { parseAddCheckpointRequest, type AddCheckpointRequest } from './request/add-checkpoint-request.js'
import { emptyHead, judgeAddCheckpoint, type Refused } from './request/judge.js'
import type { CheckpointStore } from './store/checkpoint-store.js'
import type { LogRegistry } from './store/log-registry.js'
import { excerpt, NOTE_EVIDENCE_CHARS, ORIGIN_CHARS, type RefusalLog, type RefusalRecord } from './store/refusal-log.js'
import type { WitnessKey } from './store/witness-key.js'

/** What add-checkpoint answers. */
export type Outcome =
  | { readonly ok: true; readonly cosignature: string }
  | { readonly ok: false; readonly code: RefusalCode; readonly storedSize?: number }

/** What the cosigner works with. */
export interface CosignerDeps {
  readonly key: WitnessKey
  readonly logs: LogRegistry
  readonly store: CheckpointStore
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
      const j = judgeAddCheckpoint(req, log.verifier, stored ?? emptyHead())
      if (!j.ok) return this.#refuseJudged(facts, req, j, body)

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
    this.#deps.webhook?.notify({ type: 'checkpoint.refused', witness: this.#deps.key.name, ...summary })
    await this.#deps.refusals.append(record, authenticated)
    return { ok: false, code, ...(fields.storedSize === undefined ? {} : { storedSize: fields.storedSize }) }
  }
}
