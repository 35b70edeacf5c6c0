/**
 * G3, root rotation: the root a device trusts changes only by the next
 * version, signed by a threshold (2) of the old root's keys AND of the new
 * one's; never backwards, never skipping, never to another org. Each attack
 * rides on a delivery whose command would pass under the root it smuggles
 * in, and is otherwise logged and cosigned like any other.
 */
import type { Delivery } from '@palisade/protocol'
import { nowSeconds } from './attack-org.js'
import { key } from './keys.js'
import type { Scenario } from './scenario.js'
import type { World } from './world.js'

async function withRoots(w: World, id: string, signers: Parameters<World['a']['signCommand']>[1], rootUpdates: string[]): Promise<Delivery> {
  return w.logged(await w.a.signCommand(w.cmd(id), signers), { rootUpdates })
}

const fresh = [0, 1, 2].map((i) => key(`attacker/new-admin${i}`, `new${i}`))

/** Scenarios while the agent is at root v1 (before the rotation is delivered). */
export const rootScenariosV1: readonly Scenario[] = [
  {
    slug: 'rogue-admin-root',
    title: "Rogue admin key added: a root v2 listing the attacker's key, signed by it and the stolen admin key",
    guarantee: 'G3',
    expect: 'PROTO_ROOT_SIG',
    async attack(w, id) {
      const { a, attacker } = w
      const v2 = await a.signRoot(a.rootObject(2, [...a.admins.slice(0, 3), attacker.own]), [attacker.own, attacker.stolen])
      await w.deliver(id, await withRoots(w, id, [attacker.stolen, attacker.own], [v2]))
    },
  },
  {
    slug: 'rotation-new-keys-only',
    title: 'Rotation signed only by the new keys (three attacker keys replace the admins)',
    guarantee: 'G3',
    expect: 'PROTO_ROOT_SIG',
    async attack(w, id) {
      const v2 = await w.a.signRoot(w.a.rootObject(2, fresh), fresh.slice(0, 2))
      await w.deliver(id, await withRoots(w, id, fresh.slice(0, 2), [v2]))
    },
  },
  {
    slug: 'rotation-old-keys-only',
    title: "Rotation signed only by the old keys (an unfinished draft: v1's quorum signed, v2's own keys did not)",
    guarantee: 'G3',
    expect: 'PROTO_ROOT_SIG',
    async attack(w, id) {
      const [, a1, a2, a3, a4] = w.a.admins
      const v2 = await w.a.signRoot(w.a.rootObject(2, [a2!, a3!, a4!]), [a1!, a2!])
      await w.deliver(id, await withRoots(w, id, [a3!, a4!], [v2]))
    },
  },
  {
    slug: 'root-skip-version',
    title: 'Root v3 offered to a device at v1 (v2 skipped)',
    guarantee: 'G3',
    expect: 'PROTO_ROOT_SKIPPED',
    async attack(w, id) {
      const [, a1, a2, a3] = w.a.admins
      const v3 = await w.a.signRoot(w.a.rootObject(3, [a1!, a2!, a3!]), [a1!, a2!, a3!])
      await w.deliver(id, await withRoots(w, id, w.quorum, [v3]))
    },
  },
  {
    slug: 'root-same-version',
    title: 'Root v1 offered again as an update to a device at v1',
    guarantee: 'G3',
    expect: 'PROTO_ROOT_ROLLBACK',
    attack: async (w, id) => w.deliver(id, await withRoots(w, id, w.quorum, [w.a.roots[0]!])),
  },
  {
    slug: 'mix-root-other-org',
    title: "Mix-and-match: acme's command and checkpoint with globex's root v2 as the update",
    guarantee: 'G3',
    expect: 'PROTO_ORG_MISMATCH',
    async attack(w, id) {
      const b = w.b
      const bV2 = await b.signRoot(b.rootObject(2, b.admins.slice(0, 3)), b.admins.slice(0, 2))
      await w.deliver(id, await withRoots(w, id, w.quorum, [bV2]))
    },
  },
]

/** The removed-key scenarios around the rotation (acme's v2 removes admin0, the stolen key). */
export const rotationScenarios: readonly Scenario[] = [
  {
    // The log (and the witnesses, told of v2 by the admins) name v2 in the
    // cosigned checkpoint: a device still at v1 learns that v2 exists.
    slug: 'rotation-withheld',
    title: 'Key removed in root v2, and the server withholds v2: stolen admin0 completes an admin1-signed draft',
    guarantee: 'G3',
    expect: 'PROTO_ROOT_STALE',
    async attack(w, id) {
      await w.rootV2()
      await w.deliver(id, await withRoots(w, id, [w.attacker.stolen, w.a.admins[1]!], []))
    },
  },
  {
    slug: 'removed-key-rotation-delivered',
    title: 'Key removed in root v2 (rotation delivered with the command): stolen admin0 + admin1',
    guarantee: 'G1/G3',
    expect: 'PROTO_SIG_THRESHOLD',
    async attack(w, id) {
      const v2 = await w.rootV2()
      await w.deliver(id, await withRoots(w, id, [w.attacker.stolen, w.a.admins[1]!], [v2]))
    },
  },
]

/** Scenarios once the agent follows root v2. */
export const rootScenariosV2: readonly Scenario[] = [
  {
    slug: 'root-rollback',
    title: 'Root rollback: v1 offered to a device at v2',
    guarantee: 'G3',
    expect: 'PROTO_ROOT_ROLLBACK',
    attack: async (w, id) => w.deliver(id, await withRoots(w, id, w.quorum, [w.a.roots[0]!])),
  },
  {
    slug: 'removed-key-after-rotation',
    title: 'Key removed in root v2, device already at v2: stolen admin0 + admin1',
    guarantee: 'G1/G3',
    expect: 'PROTO_SIG_THRESHOLD',
    attack: async (w, id) => w.deliver(id, await withRoots(w, id, [w.attacker.stolen, w.a.admins[1]!], [])),
  },
  {
    slug: 'root-frozen',
    title: 'Org froze commands (root v3, frozen): an approved command delivered with it',
    guarantee: 'G3',
    expect: 'PROTO_FROZEN',
    async attack(w, id) {
      const [, a1, a2, a3] = w.a.admins
      const v3 = await w.a.signRoot(w.a.rootObject(3, [a1!, a2!, a3!], { frozen: true }), [a1!, a2!])
      await w.deliver(id, await withRoots(w, id, w.quorum, [v3]))
    },
  },
  {
    slug: 'root-expired',
    title: 'Rotation to a root that has already expired, with an approved command',
    guarantee: 'G3',
    expect: 'PROTO_ROOT_EXPIRED',
    async attack(w, id) {
      const [, a1, a2, a3] = w.a.admins
      const now = nowSeconds()
      const v3 = await w.a.signRoot(w.a.rootObject(3, [a1!, a2!, a3!], { issuedAt: now - 7200, expiresAt: now - 3600 }), [a1!, a2!])
      await w.deliver(id, await withRoots(w, id, w.quorum, [v3]))
    },
  },
]
