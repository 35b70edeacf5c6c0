/**
 * A challenge that would weaken device authentication (issue #4, "protocol
 * version downgrade"): WIRE.md fixes the challenge nonce at 32 random bytes,
 * base64. A server that sends no nonce, a short one (a replayable hello:
 * 8 bytes repeat after ~2^32 connections, an empty one never changes), or
 * one that is not base64 (text with a newline, trying to make the device
 * sign a message of the server's choosing under the auth context) must get
 * no hello at all: the agent closes the connection (1002) before signing
 * anything, and reconnects.
 *
 * Each scenario restarts the agent so that the hijacked connection is its
 * first (no reconnect backoff to wait out) and checks that not a single
 * frame, let alone a signature, came back on it.
 */
import { randomBytes } from 'node:crypto'
import { toBase64 } from '@palisade/protocol'
import type { Scenario } from './scenario.js'
import type { World } from './world.js'

/** Frames the agent sent on each hijacked connection, by scenario slug. */
const answered = new Map<string, string[]>()

/** Restarts the agent with its first handshake taken over by a challenge of `challenge`; waits for the close (1002) and the honest reconnect. */
async function badChallenge(w: World, slug: string, challenge: Record<string, unknown>): Promise<void> {
  const frames: string[] = []
  answered.set(slug, frames)
  w.gw.hijackNextHandshake((ws) => {
    // An answer is the failure this scenario looks for: keep it as evidence and end the connection.
    ws.on('message', (data) => {
      frames.push(String(data).slice(0, 200))
      ws.terminate()
    })
    ws.send(JSON.stringify({ type: 'challenge', ...challenge }))
  })
  const since = w.gw.events.length
  await w.restartAgent()
  const hijacked = await w.gw.waitFor((e) => e.type === 'connect', 10_000, since)
  const conn = hijacked.type === 'connect' ? hijacked.conn : 0
  const closed = await w.gw.waitFor((e) => e.type === 'closed' && e.conn === conn, 10_000, since)
  if (frames.length === 0 && closed.type === 'closed' && closed.code !== 1002) throw new Error(`the agent closed the hijacked connection with ${closed.code}, expected 1002`)
  await w.reconnected(w.gw.events.indexOf(closed))
}

function noAnswer(slug: string): string | null {
  const frames = answered.get(slug) ?? []
  return frames.length === 0 ? null : `the agent answered the weakened challenge: ${frames.join(' | ')}`
}

function challengeScenario(slug: string, title: string, challenge: Record<string, unknown>): Scenario {
  return {
    slug,
    title,
    guarantee: 'A3 (device authentication)',
    expect: null,
    attack: (w) => badChallenge(w, slug, challenge),
    check: () => noAnswer(slug),
  }
}

// 44 characters, like a real nonce, but text: "\n" would end the nonce line of the signed message.
const INJECTED = `${'A'.repeat(20)}\ndev-zz-other-1\nXXXXXXX`

export const handshakeScenarios: readonly Scenario[] = [
  challengeScenario('challenge-no-nonce', 'Weakened handshake: a challenge without a nonce (the agent must not sign a hello)', {}),
  challengeScenario('challenge-short-nonce', 'Weakened handshake: a challenge with an 8-byte nonce (replayable hello)', { nonce: toBase64(randomBytes(8)) }),
  challengeScenario('challenge-empty-nonce', 'Weakened handshake: a challenge with an empty nonce', { nonce: '' }),
  challengeScenario('challenge-injected-nonce', 'Weakened handshake: a 44-character nonce that is not base64 (a newline and another device id, to shape the signed message)', { nonce: INJECTED.slice(0, 44) }),
]
