// Log order per device (WIRE.md "Agent gateway": pending deliveries are
// sent in log order). The device enforces it too: verifyCommand refuses a
// command whose log index is not above that of every command it already
// ran (PROTO_OUT_OF_ORDER). A reordering is then a refused command and an
// alarm rather than a silent swap, so the honest server must never cause
// one (verifyInOrder below would see it), also when commands reach their
// threshold together: here A is appended, then its checkpoint publication
// is held (a slow witness) while B is appended, published, stored and
// dispatched — on one node, and across two nodes that share the database
// and talk over NATS.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { initialTrustState, parseDelivery, verifyCommand, type TrustState } from '@palisade/protocol'
import { SUBJECTS, type Bus } from '../bus/bus.js'
import { formatEvent } from '../bus/bus-messages.js'
import { NatsBus } from '../bus/nats-bus.js'
import { addSignature } from '../commands/add-signature.js'
import type { CommandLog } from '../commands/command-log.js'
import { commandKey } from '../commands/command-key.js'
import type { LogCommandDeps } from '../commands/log-command.js'
import { approve, createTestOrg, draftCommand, enrollDevice, signPayload, type TestDevice, type TestOrg } from '../commands/org.test.helper.js'
import { withTransaction } from '../db/transaction.js'
import { OrgLog } from '../log/org-log.js'
import { AgentGateway } from './agent-gateway.js'
import { serveGateway, signedResult, TestAgent, type ServerMessage } from './agent.test.helper.js'

type Cleanup = Parameters<typeof createTestOrg>[0]
type Drafted = Awaited<ReturnType<typeof draftCommand>>
const nowSeconds = () => Math.floor(Date.now() / 1000)
const NATS_URL = process.env['PALISADE_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222'
/** This file's own bus subjects: other tests on the same NATS never reach it. */
const DEPLOYMENT = `test-${randomBytes(4).toString('hex')}`
/** How long to wait for a frame: generous, the machine is shared (nothing here depends on timing). */
const PATIENCE_MS = 15_000

/** A server node over the org's database: its own log service and gateway, on its own socket. */
interface Node {
  readonly url: string
  readonly gateway: AgentGateway
  readonly log: OrgLog
}

async function startNode(t: Cleanup, o: TestOrg, bus?: Bus, nodeId?: string): Promise<Node> {
  const log = new OrgLog({ db: o.db })
  const gateway = new AgentGateway({
    db: o.db,
    log,
    logger: o.app.log,
    publications: log,
    ...(bus === undefined ? {} : { bus }),
    ...(nodeId === undefined ? {} : { nodeId }),
  })
  return { url: await serveGateway(t, gateway), gateway, log }
}

/** `log`, except that publish waits, once called (`reached`), until `release()`: a slow witness quorum. */
function holdPublish(log: CommandLog): { log: CommandLog; reached: Promise<void>; release: () => void } {
  let reach = (): void => {}
  let release = (): void => {}
  const reached = new Promise<void>((resolve) => (reach = resolve))
  const released = new Promise<void>((resolve) => (release = resolve))
  return {
    reached,
    release,
    log: {
      append: (org, entries, trx) => log.append(org, entries, trx),
      publish: async (org) => {
        reach()
        await released
        return log.publish(org)
      },
      latest: (org) => log.latest(org),
      inclusionProof: (org, index, size) => log.inclusionProof(org, index, size),
      consistencyProof: (org, from, to) => log.consistencyProof(org, from, to),
    },
  }
}

/** The threshold-reaching signature (admin1, after admin0's), through addSignature with `deps`. */
function secondSignature(o: TestOrg, deps: LogCommandDeps, cmd: Drafted): Promise<unknown> {
  const admin = o.admins[1]!
  return addSignature(deps, new Map(), o.org, cmd.id, admin.id, signPayload(admin, cmd.payload), { store: (work) => withTransaction(o.db, work) })
}

/** Checks `frames` as the device would, in arrival order, from its enrollment state. */
function verifyInOrder(o: TestOrg, device: TestDevice, frames: readonly ServerMessage[]): TrustState {
  let state = initialTrustState(o.fingerprint, o.rootEnvelopes, nowSeconds())
  for (const m of frames) {
    const v = verifyCommand(state, parseDelivery(m['delivery']), { id: device.id }, nowSeconds())
    assert.ok(v.ok, JSON.stringify(v))
    state = v.nextState
  }
  return state
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = PATIENCE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function statusOf(o: TestOrg, cmd: Drafted): Promise<string> {
  const row = await o.db.selectFrom('commands').select('status').where('id', '=', commandKey(o.org, cmd.id)).executeTakeFirstOrThrow()
  return row.status
}

/** Answers each delivery with a result and waits for its ack. */
async function answer(o: TestOrg, device: TestDevice, agent: TestAgent, frames: readonly ServerMessage[], checkpointSize: number): Promise<void> {
  for (const m of frames) {
    const envelope = await signedResult(device.key, { org: o.org, commandId: String(m['commandId']), deviceId: device.id })
    agent.send({ type: 'result', envelope, state: { rootVersion: 1, checkpointSize } })
    assert.deepEqual(await agent.next('ack', PATIENCE_MS), { type: 'ack', commandId: m['commandId'] })
  }
}

/**
 * The race: A appended first (lower index), its publication held; B
 * appended, published (its checkpoint covers A too), stored and dispatched
 * through `dispatchVia`; the agent is on `agentNode`. A must come first,
 * and both commands must end done once answered, although A's own logging
 * finishes only after its deliveries were answered.
 */
async function raceAB(o: TestOrg, logVia: Node, dispatchVia: Node, agentNode: Node): Promise<void> {
  const device = await enrollDevice(o)
  const agent = await TestAgent.online(agentNode.url, device)
  const [a, b] = [await draftCommand(o), await draftCommand(o)]
  await approve(o, a, o.admins.slice(0, 1))
  await approve(o, b, o.admins.slice(0, 1))
  const dispatch = (key: string): void => dispatchVia.gateway.dispatch(key)
  const held = holdPublish(logVia.log)
  const signingA = secondSignature(o, { db: o.db, log: held.log, dispatch }, a)
  try {
    await held.reached // A has its log index; its checkpoint is not published yet
    await secondSignature(o, { db: o.db, log: logVia.log, dispatch }, b)
    const first = await agent.next('delivery', PATIENCE_MS)
    assert.equal(first['commandId'], a.id, `command ${b.id} (logged after ${a.id}) reached the device first`)
    const second = await agent.next('delivery', PATIENCE_MS)
    assert.equal(second['commandId'], b.id)
    const state = verifyInOrder(o, device, [first, second])
    // Answered before A's own logging call has even published: A is done all the same.
    await answer(o, device, agent, [first, second], state.checkpoint!.size)
    held.release()
    await signingA
    await waitFor('both commands done', async () => (await statusOf(o, a)) === 'done' && (await statusOf(o, b)) === 'done')
    assert.ok(await agent.quiet(300), 'nothing is sent twice')
  } finally {
    held.release()
    await signingA.catch(() => undefined)
    agent.close()
  }
}

async function reachable(url: string): Promise<boolean> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const s = connect(Number(u.port || 4222), u.hostname)
    s.setTimeout(1500, () => (s.destroy(), resolve(false)))
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

/** Two NATS connections whose subscriptions so far are in force: a probe sent on `a` after them reached `b`. */
async function natsPair(t: Cleanup): Promise<{ a: NatsBus; b: NatsBus; confirm: () => Promise<void> }> {
  const a = new NatsBus({ url: NATS_URL, name: 'order-test-a', deployment: DEPLOYMENT })
  const b = new NatsBus({ url: NATS_URL, name: 'order-test-b', deployment: DEPLOYMENT })
  t.after(() => Promise.all([a.close(), b.close()]))
  await Promise.all([a.ready(), b.ready()])
  // NATS applies a connection's subscriptions in order: once a later one gets a message, the earlier ones are in force.
  const confirm = async (): Promise<void> => {
    const probe = formatEvent({ node: 'order-test-probe', org: 'order-probe', event: { kind: 'log' } })
    let got = false
    const off = b.subscribe(SUBJECTS.events, () => (got = true))
    try {
      for (let i = 0; !got; i++) {
        if (i === 200) throw new Error('NATS did not carry a probe between two connections in 10 s')
        a.publish(SUBJECTS.events, probe)
        await new Promise((r) => setTimeout(r, 50))
      }
    } finally {
      off()
    }
  }
  return { a, b, confirm }
}

const NO_NATS = (await reachable(NATS_URL.replace(/^nats:/, 'http:'))) ? false : `NATS not reachable at ${NATS_URL}`

describe('deliveries reach a device in log order', { concurrency: true }, () => {
  it('on one node: B, logged and dispatched while A\'s checkpoint was still being published, goes after A', async (t) => {
    const o = await createTestOrg(t)
    const node = await startNode(t, o)
    await raceAB(o, node, node, node)
  })

  it('across nodes (shared database, NATS): B dispatched by node A\'s bus message goes after A on node B', { skip: NO_NATS }, async (t) => {
    const o = await createTestOrg(t)
    const { a, b, confirm } = await natsPair(t)
    const nodeA = await startNode(t, o, a, 'order-node-a')
    const nodeB = await startNode(t, o, b, 'order-node-b')
    await confirm()
    await raceAB(o, nodeA, nodeA, nodeB)
  })

  it('a command whose checkpoint could not be published (witnesses down) is not skipped: it goes before the next one', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    const [a, b] = [await draftCommand(o), await draftCommand(o)]
    await approve(o, a, o.admins.slice(0, 1))
    const witnesses = await o.db.selectFrom('org_witnesses').select('url').executeTakeFirstOrThrow()
    await o.db.updateTable('org_witnesses').set({ url: 'http://127.0.0.1:1' }).execute()
    const admin = o.admins[1]!
    const failed = await o.app.inject({
      method: 'POST',
      url: `/v1/orgs/${o.org}/commands/${a.id}/signatures`,
      payload: { keyid: admin.id, sig: signPayload(admin, a.payload) },
      headers: o.auth,
    })
    assert.equal(failed.statusCode, 503, failed.body)
    // A is in the log (appended before the publish failed); nobody retries its signature.
    await o.db.updateTable('org_witnesses').set({ url: witnesses.url }).execute()
    await approve(o, b)
    const first = await agent.next('delivery', PATIENCE_MS)
    const second = await agent.next('delivery', PATIENCE_MS)
    assert.deepEqual([first['commandId'], second['commandId']], [a.id, b.id])
    const state = verifyInOrder(o, device, [first, second])
    await answer(o, device, agent, [first, second], state.checkpoint!.size)
    await waitFor('both commands done', async () => (await statusOf(o, a)) === 'done' && (await statusOf(o, b)) === 'done')
  })
})
