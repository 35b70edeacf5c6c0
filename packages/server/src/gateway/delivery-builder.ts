/**
 * Builds what a device receives for one command (protocol `Delivery`):
 * the envelope exactly as logged, its leaf index, an inclusion proof and
 * a consistency proof against the latest cosigned checkpoint, the root
 * versions the device has not seen, and its membership proof when the
 * command targets a Merkle commitment.
 *
 * Every device that receives one command under one checkpoint gets the
 * same inclusion proof, and devices that reported the same checkpoint the
 * same consistency proof, so proofs are cached (and concurrent requests for
 * one proof share a single call to the log): fanning a command out to
 * 10,000 devices asks the log for one proof, not 10,000. Nothing here needs
 * to be trusted: devices verify it all with verifyCommand.
 */
import { formatDelivery, fromBase64, type TargetProof } from '@palisade/protocol'
import type { CommandLog, LatestCheckpoint, ProofHashes } from '../commands/command-log.js'
import type { AgentState } from './frames.js'

/** Proofs kept (by org, kind, sizes); old ones are dropped first. */
const MAX_CACHED_PROOFS = 4096

/** One delivery to build. */
export interface DeliveryInput {
  readonly org: string
  readonly envelope: string
  readonly logIndex: number
  /** deliveries.target_proof (JSON) or null. */
  readonly targetProof: string | null
}

/** Reuses proofs across devices. */
export class DeliveryBuilder {
  readonly #log: CommandLog
  readonly #proofs = new Map<string, Promise<ProofHashes>>()

  constructor(log: CommandLog) {
    this.#log = log
  }

  /**
   * The JSON form (formatDelivery) of one delivery for a device whose
   * reported state is `state`, under `checkpoint`, with `rootUpdates` (the
   * root envelopes above the device's version, oldest first).
   */
  async build(input: DeliveryInput, checkpoint: LatestCheckpoint, state: AgentState, rootUpdates: readonly string[]): Promise<Record<string, unknown>> {
    const [inclusionProof, consistencyProof] = await Promise.all([
      this.#cached(`i\n${input.org}\n${input.logIndex}\n${checkpoint.size}`, () => this.#log.inclusionProof(input.org, input.logIndex, checkpoint.size)),
      // Nothing to prove from an empty log, to the same size, or backwards
      // (a device ahead of the server will say "rollback" by itself).
      state.checkpointSize === 0 || state.checkpointSize >= checkpoint.size
        ? Promise.resolve([])
        : this.#cached(`c\n${input.org}\n${state.checkpointSize}\n${checkpoint.size}`, () =>
            this.#log.consistencyProof(input.org, state.checkpointSize, checkpoint.size),
          ),
    ])
    const targetProof = input.targetProof === null ? undefined : decodeTargetProof(input.targetProof)
    return formatDelivery({
      envelope: input.envelope,
      leafIndex: input.logIndex,
      inclusionProof,
      checkpoint: checkpoint.note,
      consistencyProof,
      rootUpdates,
      ...(targetProof === undefined ? {} : { targetProof }),
    })
  }

  /**
   * The consistency proof from a device's reported size to `checkpoint`
   * (empty when there is nothing to prove), for a checkpoint pushed on its
   * own; shares the cache with deliveries.
   */
  consistency(org: string, checkpoint: LatestCheckpoint, state: AgentState): Promise<ProofHashes> {
    if (state.checkpointSize === 0 || state.checkpointSize >= checkpoint.size) return Promise.resolve([])
    return this.#cached(`c\n${org}\n${state.checkpointSize}\n${checkpoint.size}`, () => this.#log.consistencyProof(org, state.checkpointSize, checkpoint.size))
  }

  #cached(key: string, make: () => ProofHashes | Promise<ProofHashes>): Promise<ProofHashes> {
    let p = this.#proofs.get(key)
    if (p === undefined) {
      p = Promise.resolve().then(make)
      // A failed lookup is not remembered.
      p.catch(() => this.#proofs.delete(key))
      if (this.#proofs.size >= MAX_CACHED_PROOFS) this.#proofs.delete(this.#proofs.keys().next().value!)
      this.#proofs.set(key, p)
    }
    return p
  }
}

function decodeTargetProof(json: string): TargetProof {
  const o = JSON.parse(json) as { index: number; proof: string[] }
  return { index: o.index, proof: o.proof.map((h) => fromBase64(h)) }
}
