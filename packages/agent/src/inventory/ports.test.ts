import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { createSocket, type Socket } from 'node:dgram'
import { collectListeningPorts, parseProcNet } from './ports.js'

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
const row = (local: string, remote: string, st: string, uid = '0'): string =>
  `   0: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000 ${uid} 0 12345 1 0000000000000000 100 0 0 10 0\n`

describe('parseProcNet', () => {
  it('decodes little-endian IPv4 and keeps only LISTEN for tcp', () => {
    const text = HEADER + row('0100007F:0CEA', '00000000:0000', '0A', '107') + row('0100007F:D431', '0100007F:0CEA', '01')
    assert.deepEqual(parseProcNet(text, 'tcp', true), [{ protocol: 'tcp', address: '127.0.0.1', port: 3306, uid: 107 }])
  })

  it('decodes the same bytes printed by a big-endian kernel', () => {
    assert.equal(parseProcNet(HEADER + row('7F000001:0016', '00000000:0000', '0A'), 'tcp', false)[0]?.address, '127.0.0.1')
  })

  it('formats IPv6 in RFC 5952 form', () => {
    const cases: [string, string][] = [
      ['00000000000000000000000000000000', '::'],
      ['00000000000000000000000001000000', '::1'],
      ['000080FE00000000FF4F5A02FE2DEE12', 'fe80::25a:4fff:12ee:2dfe'],
      ['B80D0120000000000000000001000000', '2001:db8::1'],
      ['B80D0120010000000000000001000000', '2001:db8:0:1::1'],
      ['0000000000000000FFFF00000100007F', '::ffff:127.0.0.1'],
      ['B80D0120000000000100000000000000', '2001:db8::1:0:0'],
      ['B80D0120000000000000010000000000', '2001:db8:0:0:1::'],
      ['00000120010000000000000001000100', '2001::1:0:0:1:1'],
    ]
    for (const [hex, want] of cases) {
      const got = parseProcNet(HEADER + row(`${hex}:0050`, `${'0'.repeat(32)}:0000`, '0A'), 'tcp6', true)[0]?.address
      assert.equal(got, want, hex)
    }
  })

  it('counts bound unconnected UDP sockets and skips connected ones', () => {
    const text = HEADER + row('00000000:0044', '00000000:0000', '07') + row('0100007F:9C40', '0101A8C0:0035', '01')
    assert.deepEqual(parseProcNet(text, 'udp', true), [{ protocol: 'udp', address: '0.0.0.0', port: 68, uid: 0 }])
  })

  it('never throws on junk', () => {
    assert.deepEqual(parseProcNet('x\n' + 'a b c d e f g h i\n'.repeat(3), 'udp6', true), [])
  })
})

describe('collectListeningPorts', () => {
  let tcp: Server
  let udp: Socket
  before(async () => {
    tcp = createServer()
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r))
    udp = createSocket('udp4')
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r))
  })
  after(() => {
    tcp.close()
    udp.close()
  })

  it("finds this test's own TCP and UDP sockets", async () => {
    const ports = await collectListeningPorts()
    const tcpPort = (tcp.address() as { port: number }).port
    const udpPort = udp.address().port
    const uid = process.getuid?.() ?? 0
    assert.ok(ports.some((p) => p.protocol === 'tcp' && p.address === '127.0.0.1' && p.port === tcpPort && p.uid === uid))
    assert.ok(ports.some((p) => p.protocol === 'udp' && p.address === '127.0.0.1' && p.port === udpPort))
  })

  it('finds an IPv6 loopback listener as ::1', async (t) => {
    const v6 = createServer()
    try {
      await new Promise<void>((resolve, reject) => v6.once('error', reject).listen(0, '::1', resolve))
    } catch {
      t.skip('no IPv6 loopback here')
      return
    }
    try {
      const port = (v6.address() as { port: number }).port
      const ports = await collectListeningPorts()
      assert.ok(ports.some((p) => p.protocol === 'tcp6' && p.address === '::1' && p.port === port))
    } finally {
      v6.close()
    }
  })

  it('notes a missing table and goes on', async () => {
    const notes: string[] = []
    assert.deepEqual(await collectListeningPorts({ notes, procNetDir: '/nonexistent' }), [])
    assert.equal(notes.length, 4)
  })
})
