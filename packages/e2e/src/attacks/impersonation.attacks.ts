/**
 * Device impersonation (A4): device B, enrolled and authenticated on its
 * own connection, holds its own key and has somehow obtained device A's
 * (a stolen disk image, a shared golden image). It tries to speak for A:
 * a result signed with A's key for A's command, a result for a command
 * it was never sent, a result that names A, a hello as A. The server must
 * refuse each with the documented code, raise an alert naming B (G6: the
 * org hears of it), and leave A's delivery exactly as it was: still
 * `sent`, no result stored. The control after them is A's own result,
 * accepted: the refusals above are not the server refusing everything.
 */
import { randomBytes } from 'node:crypto'
import { type ClientScenario, type Fleet, type Outcome } from './client-scenario.js'
import { DeviceClient, signedResult, type DeviceIdentity } from './device-client.js'
import { TIMEOUTS } from './live-server.js'

/**
 * What must stay as it was after a refused report: A's delivery `sent`, no
 * delivery of A's command for B, no result stored for either command.
 */
function untouched(f: Fleet): string[] {
  const found: string[] = []
  const a = f.s.delivery(f.command, f.a.id)
  if (a !== 'sent') found.push(`A's delivery is ${a ?? 'gone'}, not sent`)
  const b = f.s.delivery(f.command, f.b.id)
  if (b !== undefined) found.push(`B now has a delivery of A's command (${b})`)
  for (const id of [f.command, f.commandB]) {
    const results = f.s.count('SELECT count(*) AS n FROM results WHERE command_id = ?', `acme/${id}`)
    if (results !== 0) found.push(`${results} result(s) stored for ${id}`)
  }
  return found
}

/** Sends `envelope` as a result over a fresh connection of B; the answer, what changed, and whether an alert names B for `code`. */
async function reportAsB(f: Fleet, envelope: string, code: string): Promise<Outcome> {
  const alertsBefore = new Set((await f.s.alerts()).map((x) => x.id))
  const b = await DeviceClient.online(f.s.url, f.b)
  b.report(envelope)
  const answer = await b.answer()
  b.close()
  const observed = answer.type === 'error' ? `error ${String(answer['code'])}` : `${answer.type}`
  const alerted = (await f.s.alerts()).some((x) => !alertsBefore.has(x.id) && x.code === code && x.deviceId === f.b.id)
  return { observed, sideEffects: untouched(f), alerted }
}

/** Opens a connection and answers its challenge as `claimed`, signed over `nonce` (default: this connection's) with `signer`'s key. */
async function helloAs(f: Fleet, claimed: string, signer: DeviceIdentity, nonce?: string): Promise<Outcome> {
  const c = await DeviceClient.connect(f.s.url)
  if (nonce !== undefined) c.nonce = nonce
  c.hello(claimed, signer.seed)
  // Welcomed instead: the scenario fails on its answer rather than hanging.
  const answer = await Promise.race([c.closed.then(({ code }) => `close ${code}`), c.next('welcome', TIMEOUTS.helloMs + 2000).then(() => 'welcome', () => 'no answer')])
  c.ws.terminate()
  const sideEffects = f.aConn.ws.readyState === f.aConn.ws.OPEN ? [] : ["A's own connection was closed (displaced)"]
  return { observed: answer, sideEffects }
}

export const impersonationScenarios: readonly ClientScenario[] = [
  {
    slug: 'result-signed-by-other-device',
    title: "Device B sends, on its own connection, a result for A's command signed with A's device key",
    guarantee: 'A4/G6',
    expect: 'error SRV_GATEWAY_REPORT_SIGNATURE',
    alert: true,
    run: async (f) => reportAsB(f, await signedResult(f.a, 'acme', f.command, f.a.id), 'SRV_GATEWAY_REPORT_SIGNATURE'),
  },
  {
    slug: 'result-unsolicited',
    title: "Device B sends a result, signed with its own key, for A's command (never delivered to B)",
    guarantee: 'A4/G6',
    expect: 'error SRV_GATEWAY_REPORT_UNSOLICITED',
    alert: true,
    run: async (f) => reportAsB(f, await signedResult(f.b, 'acme', f.command, f.b.id), 'SRV_GATEWAY_REPORT_UNSOLICITED'),
  },
  {
    slug: 'result-names-other-device',
    title: "Device B signs with its own key a result that names device A, for a command delivered to B (B speaking as A)",
    guarantee: 'A4/G6',
    expect: 'error SRV_GATEWAY_REPORT_UNSOLICITED',
    alert: true,
    run: async (f) => reportAsB(f, await signedResult(f.b, 'acme', f.commandB, f.a.id), 'SRV_GATEWAY_REPORT_UNSOLICITED'),
  },
  {
    slug: 'hello-other-device-key',
    title: "A hello claiming device A, signed with device B's key",
    guarantee: 'A4',
    expect: 'close 4401',
    run: (f) => helloAs(f, f.a.id, f.b),
  },
  {
    slug: 'hello-replayed-nonce',
    title: "A hello as device A signed with A's key over another connection's nonce (a recorded hello replayed)",
    guarantee: 'A3/A4',
    expect: 'close 4401',
    async run(f) {
      const other = await DeviceClient.connect(f.s.url)
      const outcome = await helloAs(f, f.a.id, f.a, other.nonce)
      other.close()
      return outcome
    },
  },
  {
    slug: 'hello-unknown-device',
    title: 'A hello claiming a device id that was never enrolled, signed by a fresh key',
    guarantee: 'A4',
    expect: 'close 4401',
    run: (f) => helloAs(f, 'dev-never-enrolled', { id: 'dev-never-enrolled', seed: new Uint8Array(randomBytes(32)) }),
  },
  {
    slug: 'control-own-result',
    title: "Control: device A's own result for its command, on its own connection, is accepted",
    guarantee: 'control',
    expect: 'ack',
    role: 'control',
    async run(f) {
      f.aConn.report(await signedResult(f.a, 'acme', f.command, f.a.id))
      const answer = await f.aConn.answer()
      const found: string[] = []
      if (f.s.delivery(f.command, f.a.id) !== 'completed') found.push(`A's delivery is ${f.s.delivery(f.command, f.a.id)}, not completed`)
      if (f.s.count('SELECT count(*) AS n FROM results WHERE command_id = ? AND device_id = ?', `acme/${f.command}`, f.a.id) !== 1) found.push('no result stored')
      return { observed: answer.type === 'error' ? `error ${String(answer['code'])}` : answer.type, sideEffects: found }
    },
  },
]
