/**
 * What the simulator adds to the agent gateway wire (docs/WIRE.md, "Agent
 * gateway"). The frames themselves are read with protocol's
 * parseServerFrame and the challenge is answered with protocol's
 * agentAuthMessage, exactly as the real agent does (sim-agent.ts).
 */

/** What a simulated agent says it is in its hello (≤ 64 characters). */
export const SIM_AGENT_VERSION = 'palisade-sim/0.1.0'
