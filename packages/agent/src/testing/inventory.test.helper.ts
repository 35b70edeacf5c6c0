/** A small, fixed inventory for tests that do not exercise the collectors. */
import type { Inventory } from '../inventory/collect.js'

export function fakeInventory(hostname = 'test-host'): Inventory {
  return {
    os: null,
    kernel: { release: null, version: null, arch: process.arch, machine: null },
    hostname,
    cpus: { model: null, models: [], count: 1 },
    memory: { totalBytes: 1024, freeBytes: 512 },
    disks: [],
    network: [],
    packages: { manager: null, packages: null },
    users: [],
    listeningPorts: [],
    notes: [],
    collectedAt: new Date().toISOString(),
  }
}
