import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { collectInventory, inventoryDigest, stableJson, type Inventory } from './collect.js'

describe('collectInventory', () => {
  it('collects every source of this machine with plausible values', async () => {
    const inv = await collectInventory({ now: () => new Date('2025-01-02T03:04:05Z') })
    assert.equal(inv.collectedAt, '2025-01-02T03:04:05.000Z')
    assert.ok(inv.kernel.release && inv.kernel.release.length > 0)
    assert.equal(inv.kernel.arch, process.arch)
    assert.ok(inv.hostname)
    assert.ok(inv.cpus.count >= 1)
    assert.ok(inv.memory.totalBytes > 64 * 1024 * 1024)
    assert.ok(inv.memory.freeBytes <= inv.memory.totalBytes)
    assert.ok(inv.network.some((a) => a.internal && a.address === '127.0.0.1'))
    assert.ok(inv.users.some((u) => u.uid === 0 && u.name === 'root' && u.home.startsWith('/')))
    assert.ok(inv.disks.some((d) => d.mountPoint === '/'))
    assert.ok(Array.isArray(inv.listeningPorts))
    assert.deepEqual([...inv.notes], [...inv.notes].sort())
    assert.match(inventoryDigest(inv), /^[0-9a-f]{64}$/)
  })
})

describe('inventoryDigest', () => {
  const base = (): Inventory => ({
    os: null,
    kernel: { release: '6.1.0', version: '#1', arch: 'x64', machine: 'x86_64' },
    hostname: 'h',
    cpus: { model: 'cpu', models: ['cpu'], count: 2 },
    memory: { totalBytes: 100, freeBytes: 50 },
    disks: [{ mountPoint: '/', device: '/dev/vda', fsType: 'ext4', readOnly: false, sizeBytes: 10, freeBytes: 5, availableBytes: 4 }],
    network: [],
    packages: { manager: 'dpkg', packages: [{ name: 'bash', version: '5.2', arch: 'amd64' }] },
    users: [],
    listeningPorts: [],
    notes: [],
    collectedAt: '2025-01-01T00:00:00.000Z',
  })

  it('ignores collection time and the volatile gauges', () => {
    const a = base()
    const b: Inventory = {
      ...a,
      collectedAt: '2030-01-01T00:00:00.000Z',
      memory: { totalBytes: 100, freeBytes: 1 },
      disks: [{ ...a.disks[0]!, freeBytes: 1, availableBytes: 0 }],
    }
    assert.equal(inventoryDigest(a), inventoryDigest(b))
  })

  it('changes when a package, a disk size or the memory total changes', () => {
    const a = base()
    const d = inventoryDigest(a)
    assert.notEqual(inventoryDigest({ ...a, packages: { manager: 'dpkg', packages: [{ name: 'bash', version: '5.3', arch: 'amd64' }] } }), d)
    assert.notEqual(inventoryDigest({ ...a, disks: [{ ...a.disks[0]!, sizeBytes: 11 }] }), d)
    assert.notEqual(inventoryDigest({ ...a, memory: { totalBytes: 101, freeBytes: 50 } }), d)
  })

  it('does not depend on key order', () => {
    const a = base()
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as Inventory
    assert.equal(inventoryDigest(reordered), inventoryDigest(a))
  })
})

describe('stableJson', () => {
  it('sorts keys recursively and matches a golden string', () => {
    assert.equal(stableJson({ b: [2, { d: null, c: 'é' }], a: true, u: undefined }), '{"a":true,"b":[2,{"c":"é","d":null}]}')
  })
})
