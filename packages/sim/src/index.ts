/**
 * @palisade/sim — the agent simulator (issue #7): thousands of agents in one
 * or a few processes, each with its own Ed25519 device key and its own
 * trust state, enrolled through the real `POST /v1/enroll` and speaking the
 * real gateway protocol, verifying every delivery with protocol's
 * verifyCommand. Only script execution is replaced: a verified delivery is
 * answered with a signed no-op result whose stdout says
 * "[palisade sim: not executed]".
 */
export { runSimulator } from './run-simulator.js'
export { resolveSimOptions, openFileLimit, type SimOptions, type ResolvedSimOptions } from './sim-options.js'
export { formatStatus, sumCounters, zeroCounters, type SimCounters } from './counters.js'
export { SIM_STDOUT } from './sim-agent.js'
export { parseSourceAddresses } from './source-addresses.js'
export { simInventory } from './inventory.js'
export { SimError, isSimError, SIM_ERROR_CODES, type SimErrorCode } from './errors.js'
