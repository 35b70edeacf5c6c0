import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase } from '../db/test-database.test.helper.js'
import { captureLogger, tempDir, testConfig } from '../fixtures.test.helper.js'
import { startServer } from '../main.js'
import { startWitnesses } from '../witness-client/test-witness.test.helper.js'
import { admin, rootPayload, signRoot } from './test-org.test.helper.js'

describe('startServer and the setup code', () => {
  it('prints a fresh code to its output (not the log), invalidates the previous one, and never logs it or the API key', async (t) => {
    const dir = tempDir(t)
    const made = await testDatabase('startup')
    const config = testConfig(dir, { ...made.env, PALISADE_LISTEN: '127.0.0.1:0' })
    const { logger, lines } = captureLogger('trace')
    let printed = ''
    const output = { write: (s: string) => (printed += s) }
    const [w] = await startWitnesses(1, 'startup-w')
    t.after(() => w!.close())

    const first = await startServer(config, { logger, handleSignals: false, setupCodeOutput: output })
    await first.close()
    const server = await startServer(config, { logger, handleSignals: false, setupCodeOutput: output })
    t.after(() => server.close().then(made.drop))
    const code = server.setupCode
    assert.notEqual(code, first.setupCode)
    assert.match(printed, new RegExp(`setup code .*: ${code}\\n`))
    assert.ok(printed.includes(`--server ${server.url}`))

    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
      return { status: res.status, json: (await res.json()) as Record<string, any> }
    }
    assert.equal((await post('/v1/setup/log-key', { setupCode: first.setupCode, org: 'boot' })).status, 401, 'the earlier code no longer works')
    const lk = (await post('/v1/setup/log-key', { setupCode: code, org: 'boot' })).json
    w!.addLog(lk['logKey'])
    const admins = [admin('boot-a'), admin('boot-b')]
    const root = await signRoot(rootPayload({ org: 'boot', admins, witnessKeys: [w!.key], quorum: 1, origin: lk['origin'], logKey: lk['logKey'] }), admins)
    const setup = await post('/v1/setup', { setupCode: code, root, witnesses: [{ key: w!.key, url: w!.url }] })
    assert.equal(setup.status, 201, JSON.stringify(setup.json))
    const apiKey = setup.json['apiKey'] as string
    const res = await fetch(`${server.url}/v1/orgs/boot/log/entries?start=0&end=1`, { headers: { authorization: `Bearer ${apiKey}` } })
    assert.equal(res.status, 200)
    await fetch(`${server.url}/v1/orgs/boot/roots?setupCode=${code}`, { headers: { authorization: `Bearer ${apiKey}` } })

    const out = lines.join('')
    assert.match(out, /org created/)
    for (const secret of [code, code.replaceAll('-', ''), first.setupCode, apiKey, apiKey.split('_').slice(2).join('_'), 'PRIVATE+KEY']) {
      assert.ok(!out.includes(secret), `the log contains ${secret.slice(0, 12)}…`)
    }
  })
})
