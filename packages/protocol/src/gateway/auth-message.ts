/**
 * The message a device signs to answer the gateway's challenge (docs/WIRE.md,
 * "Agent gateway", step 2):
 *
 *     utf8("palisade-agent-auth/v1\n" + nonce + "\n" + deviceId)
 *
 * with the nonce exactly as the server sent it (base64 of 32 random bytes).
 * The context string keeps this signature from ever being valid as any other
 * signed format of Palisade (a DSSE envelope signs PAE bytes, which start
 * with "DSSEv1"); the nonce makes it single-use; the device id binds it to
 * the identity claimed in the hello. Forward compatibility: a new message
 * needs a new context string.
 *
 * Trusts: nothing; it only builds bytes (the agent signs them, the gateway
 * verifies them with the device's enrolled key).
 */

/** The domain-separated prefix of the challenge signature. */
export const AGENT_AUTH_CONTEXT = 'palisade-agent-auth/v1'

/**
 * The exact bytes a device signs to answer a challenge.
 *
 * @example
 * sign(null, agentAuthMessage(nonce, deviceId), deviceKey)
 */
export function agentAuthMessage(nonce: string, deviceId: string): Uint8Array {
  return new TextEncoder().encode(`${AGENT_AUTH_CONTEXT}\n${nonce}\n${deviceId}`)
}
