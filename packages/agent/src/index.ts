/**
 * @palisade/agent — the device side of Palisade: enrollment, the pinned
 * trust state on disk, the gateway connection, verification through
 * @palisade/protocol, execution under the machine owner's local policy,
 * inventory, and the signed-report spool.
 *
 * The agent runs a command only when protocol's verifyCommand accepts it
 * from the device's own trust state (quorum, log inclusion under a witness-
 * cosigned checkpoint, no replay) and the local policy allows it; it
 * records that it started before it starts, so no crash runs it twice; and
 * every refusal is signed, kept locally and reported.
 */
export { enroll, type EnrollOptions, type Enrollment } from './enroll.js'
export { runAgent, RUN_AGENT_DEFAULTS, type RunAgentOptions } from './runtime/run-agent.js'
export { runAgentUntilSignal } from './runtime/run-until-signal.js'
export { agentStatus, type AgentStatus } from './status.js'
export { lineLogger, silentLogger, type AgentLogger, type LogLevel } from './runtime/logger.js'
export { INTERRUPTED_PREFIX } from './runtime/recover.js'
export { defaultStateDir, stateLayout, SYSTEM_STATE_DIR, type StateLayout } from './state/layout.js'
export { type DeviceRecord } from './state/device-record.js'
export { LOCAL_POLICY_PATH, type LocalPolicy } from './policy/local-policy.js'
export { type Inventory } from './inventory/collect.js'
export {
  AgentError,
  isAgentError,
  AGENT_ERROR_CODES,
  type AgentErrorCode,
  type AnyAgentError,
} from './errors.js'
