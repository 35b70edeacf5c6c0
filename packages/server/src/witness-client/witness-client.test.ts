import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { toBase64, utf8 } from '@palisade/protocol'
import { formatAddCheckpointBody, MAX_PROOF_LINES, parseAddCheckpointBody } from './add-checkpoint-body.js'
import { httpWitnessClient } from './witness-client.js'

// The example request body of c2sp.org/tlog-witness §add-checkpoint, verbatim.
const SPEC_EXAMPLE =
  'old 20852014\n' +
  'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n' +
  'jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n' +
  '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n' +
  '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n' +
  '\n' +
  'example.com/behind-the-sofa\n' +
  '20852163\n' +
  'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n' +
  '\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n'

const NOTE = SPEC_EXAMPLE.slice(SPEC_EXAMPLE.indexOf('\n\n') + 2)

describe('add-checkpoint body', () => {
  it('parses the example of the spec and formats it back byte for byte', () => {
    const req = parseAddCheckpointBody(SPEC_EXAMPLE)!
    assert.equal(req.oldSize, 20852014)
    assert.equal(req.proof.length, 4)
    assert.equal(toBase64(req.proof[3]!), '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=')
    assert.equal(req.note, NOTE)
    assert.equal(formatAddCheckpointBody(req), SPEC_EXAMPLE)
  })

  it('formats old 0 with no proof as "old 0", a blank line, then the note', () => {
    assert.equal(formatAddCheckpointBody({ oldSize: 0, proof: [], note: NOTE }), `old 0\n\n${NOTE}`)
  })

  it('refuses malformed bodies', () => {
    const hash = toBase64(new Uint8Array(32))
    for (const bad of [
      '',
      'old 1\n',
      `old 01\n\n${NOTE}`,
      `old -1\n\n${NOTE}`,
      `new 1\n\n${NOTE}`,
      `old 1\nnot base64\n\n${NOTE}`,
      `old 1\n${toBase64(new Uint8Array(31))}\n\n${NOTE}`,
      `old 1\n${`${hash}\n`.repeat(MAX_PROOF_LINES + 1)}\n${NOTE}`,
      'old 1\n\n',
    ]) {
      assert.equal(parseAddCheckpointBody(bad), undefined, JSON.stringify(bad.slice(0, 40)))
    }
  })

  it('never crashes on random or mutated bodies', () => {
    const base = utf8(SPEC_EXAMPLE)
    for (let i = 0; i < 2000; i++) {
      const b = base.slice()
      for (let k = 0; k < 1 + (i % 5); k++) b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 128)
      parseAddCheckpointBody(new TextDecoder().decode(b))
    }
  })
})

describe('httpWitnessClient', () => {
  let server: Server
  let url = ''
  let handler: (path: string, res: ServerResponse) => void = () => {}
  const sockets = new Set<Socket>()
  let received = ''
  before(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        received = body
        handler(req.url ?? '', res)
      })
    })
    server.on('connection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/witness`
  })
  after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
  })

  const request = { oldSize: 3, proof: [new Uint8Array(32).fill(1)], note: NOTE }
  const client = httpWitnessClient({ timeoutMs: 10_000, maxResponseBytes: 1024 })

  it('POSTs the body to <url>/add-checkpoint and returns the lines of a 200', async () => {
    let path = ''
    handler = (p, res) => {
      path = p
      res.end('— w.example AAAA\n')
    }
    assert.deepEqual(await client.addCheckpoint(url, request), { kind: 'cosigned', lines: '— w.example AAAA\n' })
    assert.equal(path, '/witness/add-checkpoint')
    assert.equal(received, formatAddCheckpointBody(request))
  })

  it('reads the size of a 409', async () => {
    handler = (_p, res) => {
      res.writeHead(409, { 'content-type': 'text/x.tlog.size' })
      res.end('42\n')
    }
    assert.deepEqual(await client.addCheckpoint(url, request), { kind: 'conflict', size: 42 })
    handler = (_p, res) => {
      res.writeHead(409)
      res.end('forty-two')
    }
    assert.deepEqual(await client.addCheckpoint(url, request), { kind: 'failed', reason: 'HTTP 409 without a valid size' })
  })

  it('names the refusals of the spec without quoting the witness', async () => {
    for (const [status, reason] of [[403, /log signature/], [404, /does not know this log/], [422, /consistency proof/], [500, /^HTTP 500$/]] as const) {
      handler = (_p, res) => {
        res.writeHead(status)
        res.end('<script>secret stuff</script>')
      }
      const out = await client.addCheckpoint(url, request)
      assert.equal(out.kind, 'failed')
      assert.match((out as { reason: string }).reason, reason)
      assert.ok(!(out as { reason: string }).reason.includes('script'))
    }
  })

  it('gives up on a witness that does not answer in time', async () => {
    handler = () => {}
    const started = performance.now()
    const impatient = httpWitnessClient({ timeoutMs: 300 })
    assert.deepEqual(await impatient.addCheckpoint(url, request), { kind: 'failed', reason: 'no answer within 300 ms' })
    assert.ok(performance.now() - started < 2000)
  })

  it('refuses an answer larger than the cap, declared or streamed', async () => {
    handler = (_p, res) => res.end('A'.repeat(4096))
    assert.match(((await client.addCheckpoint(url, request)) as { reason: string }).reason, /larger than 1024 bytes/)
    handler = (_p, res) => {
      res.writeHead(200) // chunked: no content-length
      for (let i = 0; i < 8; i++) res.write('A'.repeat(512))
      res.end()
    }
    assert.match(((await client.addCheckpoint(url, request)) as { reason: string }).reason, /larger than 1024 bytes/)
  })

  it('does not follow redirects', async () => {
    handler = (_p, res) => {
      res.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' })
      res.end()
    }
    assert.deepEqual(await client.addCheckpoint(url, request), { kind: 'failed', reason: 'the witness redirected (HTTP 307); redirects are not followed' })
  })

  it('reports a refused connection without throwing', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as { port: number }).port
    await new Promise((r) => closed.close(r))
    const out = await client.addCheckpoint(`http://127.0.0.1:${port}`, request)
    assert.deepEqual(out, { kind: 'failed', reason: 'connection failed (ECONNREFUSED)' })
  })

  it('sends once more on a fresh connection when the connection is reset under the request, not twice more', async () => {
    let calls = 0
    handler = (_p, res) => {
      calls++
      if (calls === 1) res.socket?.destroy() // the witness drops the connection: no answer at all
      else res.end('— w.example BBBB\n')
    }
    assert.deepEqual(await client.addCheckpoint(url, request), { kind: 'cosigned', lines: '— w.example BBBB\n' })
    assert.equal(calls, 2)
    calls = 0
    handler = (_p, res) => {
      calls++
      res.socket?.destroy()
    }
    const out = await client.addCheckpoint(url, request)
    assert.equal(out.kind, 'failed')
    assert.match((out as { reason: string }).reason, /^connection failed/)
    assert.equal(calls, 2)
  })

  it('reports a URL it cannot use without throwing', async () => {
    assert.equal((await client.addCheckpoint('not a url', request)).kind, 'failed')
  })
})
