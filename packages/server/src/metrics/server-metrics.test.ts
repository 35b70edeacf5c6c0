/**
 * Metrics after real work: an app with its own ServerMetrics, a connected
 * test agent that receives a quorum-signed command and answers it, and a
 * rejection of another; then GET /metrics on the separate metrics app.
 * Also: labels fed from outside stay bounded.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../app.js'
import { addOrg, approve, draftCommand, enrollDevice, startWitness } from '../commands/org.test.helper.js'
import { ROUTES } from '../routes/index.js'
import { setupRoutes } from '../setup/routes.js'
import { openDatabase } from '../db/open.js'
import { testDatabase } from '../db/test-database.test.helper.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { signedRejection, signedResult, TestAgent } from '../gateway/agent.test.helper.js'
import { BoundedLabel } from './bounded-label.js'
import { buildMetricsApp } from './metrics-listener.js'
import { ServerMetrics } from './server-metrics.js'

/** The value of the first sample of `name` whose labels include each of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3])
  }
  return undefined
}

describe('server metrics', () => {
  it('count what happened: connected agents, deliveries, results, rejections and alerts by code, log size, publish and witness latency, HTTP by route', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-metrics-'))
    const made = await testDatabase('metrics')
    const config = testConfig(dir, { ...made.env, PALISADE_NODE_ID: 'node-m' })
    const db = await openDatabase(config.databaseUrl)
    const metrics = new ServerMetrics({ node: config.nodeId })
    const routes = ROUTES.includes(setupRoutes) ? ROUTES : [...ROUTES, setupRoutes]
    const { logger, lines } = captureLogger('info')
    const app = buildApp({ config, db, logger, routes, metrics })
    t.after(async () => {
      await app.close()
      await made.drop()
      rmSync(dir, { recursive: true, force: true })
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const witness = await startWitness(t)
    const o = await addOrg({ app, db, config, lines, witness }, 'acme')
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())

    const ran = await draftCommand(o)
    await approve(o, ran)
    await agent.next('delivery')
    const result = await signedResult(device.key, { org: o.org, commandId: ran.id, deviceId: device.id, exitCode: 0 })
    agent.send({ type: 'result', envelope: result, state: { rootVersion: 1, checkpointSize: 0 } })
    await agent.next('ack')
    const refused = await draftCommand(o)
    await approve(o, refused)
    await agent.next('delivery')
    const rejection = await signedRejection(device.key, { org: o.org, commandId: refused.id, deviceId: device.id, code: 'PROTO_SIG_THRESHOLD' })
    agent.send({ type: 'rejection', envelope: rejection, state: { rootVersion: 1, checkpointSize: 0 } })
    await agent.next('ack')

    const metricsApp = buildMetricsApp(metrics)
    t.after(() => metricsApp.close())
    const res = await metricsApp.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    const text = res.body
    assert.equal(sample(text, 'palisade_agents_connected', { node: 'node-m' }), 1)
    assert.equal(sample(text, 'palisade_deliveries_sent_total'), 2)
    assert.equal(sample(text, 'palisade_results_received_total'), 1)
    assert.equal(sample(text, 'palisade_rejections_total', { code: 'PROTO_SIG_THRESHOLD' }), 1)
    assert.equal(sample(text, 'palisade_alerts_total', { code: 'PROTO_SIG_THRESHOLD' }), 1)
    assert.equal(sample(text, 'palisade_log_size', { org: 'acme' }), 3) // root v1 and two commands
    assert.ok(sample(text, 'palisade_checkpoint_publish_seconds_count')! >= 2)
    assert.ok(sample(text, 'palisade_witness_request_seconds_count', { witness: new URL(witness.url).host })! >= 2)
    assert.ok(sample(text, 'palisade_http_request_seconds_count', { method: 'POST', route: '/v1/orgs/:org/commands/:id/signatures', status_class: '2xx' })! >= 4)
    assert.ok(sample(text, 'palisade_process_resident_memory_bytes')! > 0)
    // The API never serves metrics: only the separate listener does.
    assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
    assert.equal((await metricsApp.inject({ method: 'GET', url: '/v1/orgs/acme/devices' })).statusCode, 404)
  })

  it('bound labels fed from outside: new values beyond the limit count as other, non-codes as invalid', () => {
    const label = new BoundedLabel(2)
    assert.deepEqual(['A', 'B', 'C', 'A'].map((v) => label.of(v)), ['A', 'B', 'other', 'A'])
    const codes = new BoundedLabel(64)
    assert.equal(codes.code('PROTO_REPLAY'), 'PROTO_REPLAY')
    for (const bad of ['lower', 'X'.repeat(65), '{"a":1}', 42, 'A\nB']) assert.equal(codes.code(bad), 'invalid')
    const metrics = new ServerMetrics()
    for (let i = 0; i < 200; i++) metrics.rejection(`CODE_${i}`)
    return metrics.text().then((text) => {
      const series = text.split('\n').filter((l) => l.startsWith('palisade_rejections_total{'))
      assert.equal(series.length, 65) // 64 codes and `other`
      assert.equal(sample(text, 'palisade_rejections_total', { code: 'other' }), 136)
    })
  })
})
