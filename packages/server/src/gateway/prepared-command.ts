/**
 * One command being fanned out: read once for all its connected targets,
 * and its delivery frame built once per distinct device state. Devices
 * that reported the same (checkpoint size, root version) under the same
 * checkpoint receive byte-identical frames (same envelope, inclusion
 * proof, consistency proof, root updates), so 10,000 devices that are up
 * to date cost one build and one JSON serialisation, not 10,000. A target
 * with a Merkle membership proof gets its own frame (the proof differs).
 */
import type { LatestCheckpoint } from '../commands/command-log.js'
import { commandIdOf } from '../commands/command-key.js'
import { rootEnvelopesAbove } from '../commands/org-roots.js'
import { serverFrame, type AgentState } from './frames.js'
import type { GatewayContext } from './gateway-context.js'

/** Distinct device states cached per command (older ones are dropped first). */
const MAX_FRAMES = 64

/** A logged command's delivery, ready to send. */
export class PreparedCommand {
  readonly key: string
  readonly org: string
  readonly logIndex: number
  readonly notAfter: number
  readonly #envelope: string
  readonly #frames = new Map<string, Promise<string>>()

  constructor(key: string, org: string, logIndex: number, envelope: string, notAfter: number) {
    this.key = key
    this.org = org
    this.logIndex = logIndex
    this.notAfter = notAfter
    this.#envelope = envelope
  }

  /**
   * The delivery frame for a device in `state`, under `checkpoint`, the org's
   * root being at `rootVersion`.
   *
   * @example
   * ws.send(await prepared.frame(ctx, checkpoint, { rootVersion: 1, checkpointSize: 7 }, 1, null))
   */
  frame(ctx: GatewayContext, checkpoint: LatestCheckpoint, state: AgentState, rootVersion: number, targetProof: string | null): Promise<string> {
    if (targetProof !== null) return this.#build(ctx, checkpoint, state, rootVersion, targetProof)
    const cacheKey = `${checkpoint.size}\n${checkpoint.note}\n${state.checkpointSize}\n${state.rootVersion}\n${rootVersion}`
    let p = this.#frames.get(cacheKey)
    if (p === undefined) {
      p = this.#build(ctx, checkpoint, state, rootVersion, null)
      p.catch(() => this.#frames.delete(cacheKey))
      if (this.#frames.size >= MAX_FRAMES) this.#frames.delete(this.#frames.keys().next().value!)
      this.#frames.set(cacheKey, p)
    }
    return p
  }

  async #build(ctx: GatewayContext, checkpoint: LatestCheckpoint, state: AgentState, rootVersion: number, targetProof: string | null): Promise<string> {
    const rootUpdates = rootVersion > state.rootVersion ? await rootEnvelopesAbove(ctx.db, this.org, state.rootVersion) : []
    const delivery = await ctx.builder.build({ org: this.org, envelope: this.#envelope, logIndex: this.logIndex, targetProof }, checkpoint, state, rootUpdates)
    return serverFrame.delivery(commandIdOf(this.key), delivery)
  }
}
