/**
 * enrollDevice against a loopback HTTP server that plays the parts of an
 * enrollment the simulator must get right on its own: a lost answer, and
 * a token used up by other devices meanwhile.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { enrollDevice, TokenPool } from './enroll-device.js'
import { isSimError } from './errors.js'
import { SharedTrust } from './shared-trust.js'

const FP = 'a'.repeat(64)

async function body(req: IncomingMessage): Promise<{ token: string; hostname: string }> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return JSON.parse(text) as { token: string; hostname: string }
}

describe('enrollDevice', () => {
  it('retries a request whose answer was lost with its own token, even after the pool moved on', async () => {
    const seen: string[] = []
    let cut = false
    const server = createServer((req, res) => {
      void body(req).then((b) => {
        seen.push(`${b.hostname}:${b.token}`)
        // Device 0's first try is received and its answer lost.
        if (b.hostname === 'sim-0' && !cut) {
          cut = true
          return setTimeout(() => req.socket.destroy(), 50)
        }
        // Token A is used up by the time device 1 asks.
        if (b.token === 'A' && b.hostname === 'sim-1') return res.writeHead(401).end('{"code":"SRV_UNAUTHENTICATED"}')
        // Not a valid answer: the test is about the requests, not the trust chain.
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    after(() => server.close())
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const tokens = new TokenPool(['A', 'B'])
    const shared = new SharedTrust()
    const first = enrollDevice({ server: url, tokens, fingerprint: FP, index: 0, shared })
    await new Promise((r) => setTimeout(r, 20))
    const second = enrollDevice({ server: url, tokens, fingerprint: FP, index: 1, shared })
    for (const outcome of await Promise.allSettled([first, second])) {
      assert.equal(outcome.status, 'rejected')
      assert.ok(isSimError(outcome.reason) && /no valid deviceId/.test(outcome.reason.message), String(outcome.reason))
    }
    assert.deepEqual(
      seen.filter((s) => s.startsWith('sim-0')),
      ['sim-0:A', 'sim-0:A'],
    )
    assert.deepEqual(seen.filter((s) => s.startsWith('sim-1')), ['sim-1:A', 'sim-1:B'])
  })
})
