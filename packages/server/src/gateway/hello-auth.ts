/**
 * Agent authentication on the gateway (WIRE.md step 1–2): the server sends
 * a fresh random nonce; the agent signs
 *
 *     utf8("palisade-agent-auth/v1\n" + nonce + "\n" + deviceId)
 *
 * with its device key, where `nonce` is the base64 text exactly as sent.
 * The context string keeps this signature from ever being valid as a
 * result, a rejection or anything else the device signs; the nonce keeps a
 * recorded hello from being replayed on another connection (A3).
 */
import { randomBytes } from 'node:crypto'
import { cryptoProvider, utf8 } from '@palisade/protocol'

/** The domain-separation prefix of the signed hello message. */
export const AGENT_AUTH_CONTEXT = 'palisade-agent-auth/v1'

/** A fresh challenge nonce: 32 random bytes, standard base64. */
export function newNonce(): string {
  return randomBytes(32).toString('base64')
}

/**
 * The bytes a device signs to answer a challenge.
 *
 * @example
 * helloMessage(nonce, 'dev-1') // utf8('palisade-agent-auth/v1\n' + nonce + '\ndev-1')
 */
export function helloMessage(nonce: string, deviceId: string): Uint8Array {
  return utf8(`${AGENT_AUTH_CONTEXT}\n${nonce}\n${deviceId}`)
}

/** True when `signature` is the device's answer to `nonce` under `publicKey` (Ed25519, protocol's one verification rule). */
export function verifyHello(publicKey: Uint8Array, nonce: string, deviceId: string, signature: Uint8Array): boolean {
  return cryptoProvider().verify(publicKey, helloMessage(nonce, deviceId), signature)
}
