import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseServerList, readServerList, removeServerList, ServerRotation, SERVERS_FILE, writeServerList } from './server-list.js'

describe('server list', () => {
  it('validates, normalises and de-duplicates URLs in order', () => {
    assert.deepEqual(parseServerList(['https://a.example.com/', 'http://b:8080', 'https://a.example.com']), ['https://a.example.com', 'http://b:8080'])
    for (const bad of [[], ['ftp://x'], ['https://u:p@x'], ['https://x/?q'], [42], Array.from({ length: 17 }, (_, i) => `https://n${i}.example.com`)]) {
      assert.throws(() => parseServerList(bad as unknown[]), { code: 'AGENT_ARG_INVALID' })
    }
  })

  it('rotates through gateway URLs, wrapping around', () => {
    const r = new ServerRotation(['https://a.example.com', 'http://b:8080'])
    assert.equal(r.current(), 'wss://a.example.com/v1/agent')
    assert.equal(r.next(), 'ws://b:8080/v1/agent')
    assert.equal(r.currentServer(), 'http://b:8080')
    assert.equal(r.next(), 'wss://a.example.com/v1/agent')
  })

  it('keeps the list in servers.json (0600), the enrolled server first; without the file, only the enrolled one', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-servers-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    assert.deepEqual(await readServerList(dir, 'https://a.example.com'), ['https://a.example.com'])
    await writeServerList(dir, ['https://a.example.com', 'https://b.example.com'])
    assert.equal(statSync(join(dir, SERVERS_FILE)).mode & 0o777, 0o600)
    assert.deepEqual(JSON.parse(readFileSync(join(dir, SERVERS_FILE), 'utf8')), { servers: ['https://a.example.com', 'https://b.example.com'] })
    assert.deepEqual(await readServerList(dir, 'https://a.example.com'), ['https://a.example.com', 'https://b.example.com'])
    writeFileSync(join(dir, SERVERS_FILE), '{"servers": ["javascript:alert(1)"]}')
    await assert.rejects(readServerList(dir, 'https://a.example.com'), { code: 'AGENT_ARG_INVALID' })
    writeFileSync(join(dir, SERVERS_FILE), '[1]')
    await assert.rejects(readServerList(dir, 'https://a.example.com'), { code: 'AGENT_FILE_INVALID' })
    await removeServerList(dir)
    await removeServerList(dir) // idempotent
    assert.deepEqual(await readServerList(dir, 'https://a.example.com'), ['https://a.example.com'])
  })
})
