/**
 * The frames of the agent gateway (docs/WIRE.md, "Agent gateway"), as the
 * agent reads and writes them. The frame parser and the challenge message
 * are protocol's (shared with the simulator); every server frame is
 * attacker-controlled (A1, A3): it is parsed for shape only, and nothing
 * in it is believed until protocol has verified it (deliveries,
 * checkpoints) or it is harmless (acks can only make the agent forget a
 * report the server says it stored).
 */
export {
  agentAuthMessage as authMessage,
  GATEWAY_MAX_FRAME_BYTES as MAX_FRAME_BYTES,
  parseServerFrame,
  type InvalidFrame,
  type ServerFrame,
} from '@palisade/protocol'

/** Trust-state summary the agent reports (hello, results, rejections). */
export interface StateSummary {
  readonly rootVersion: number
  readonly checkpointSize: number
}
