/**
 * Protocol version downgrade (issue #4). The gateway protocol negotiates no
 * version: the agent reads none from the server, so what a breached server
 * can try to downgrade is the material it relays. Each older or unknown
 * form below is otherwise genuine (quorum-signed, logged, cosigned by both
 * witnesses), so only the version check stands between it and a shell.
 * The older DSSE payload type and payload `type` of the command itself are
 * in payload.scenarios.ts; these cover the delivery object, the checkpoint
 * and the root chain.
 */
import { canonicalJsonBytes, formatDelivery, ROOT_PAYLOAD_TYPE } from '@palisade/protocol'
import { nowSeconds } from './attack-org.js'
import type { Scenario } from './scenario.js'
import type { World } from './world.js'

const approved = (w: World, id: string): Promise<string> => w.a.signCommand(w.cmd(id), w.quorum)

/** acme's root v2 as its v1 quorum and its own keys would sign it, with `over` applied, under `payloadType`. */
async function rootV2Variant(w: World, over: Record<string, unknown>, payloadType?: string): Promise<string> {
  const [, a1, a2, a3] = w.a.admins
  const v2 = { ...w.a.rootObject(2, [a1!, a2!, a3!]), ...over }
  return w.a.signBytes(canonicalJsonBytes(v2), [a1!, a2!, a3!], payloadType ?? ROOT_PAYLOAD_TYPE)
}

export const downgradeScenarios: readonly Scenario[] = [
  {
    slug: 'delivery-version-zero',
    title: 'Version downgrade: a delivery object carrying "version": 0 (a field no version of the wire has)',
    guarantee: 'G1',
    expect: 'AGENT_MALFORMED_DELIVERY',
    async attack(w, id) {
      const d = formatDelivery(await w.logged(await approved(w, id)))
      await w.deliverRaw(id, { version: 0, ...d })
    },
  },
  {
    slug: 'checkpoint-no-root-line',
    title: 'Version downgrade: a checkpoint in the pre-rotation-binding format (no palisade-root line), genuinely cosigned',
    guarantee: 'G2/G3',
    expect: 'PROTO_MALFORMED',
    async attack(w, id) {
      const d = await w.logged(await approved(w, id))
      const cp = await w.a.ledger.note({ logKey: w.a.logKey, witnesses: w.a.witnesses, time: nowSeconds(), rootLine: null })
      await w.deliver(id, { ...d, checkpoint: cp })
    },
  },
  {
    slug: 'root-type-downgrade',
    title: 'Version downgrade: root v2 with "type": "palisade.root/v0", signed by the v1 quorum and its own keys',
    guarantee: 'G3',
    expect: 'PROTO_MALFORMED',
    async attack(w, id) {
      const v2 = await rootV2Variant(w, { type: 'palisade.root/v0' })
      await w.deliver(id, await w.logged(await approved(w, id), { rootUpdates: [v2] }))
    },
  },
  {
    slug: 'root-payload-type-downgrade',
    title: 'Version downgrade: root v2 under an older DSSE payload type (…root.v0+json), fully signed',
    guarantee: 'G3',
    expect: 'PROTO_PAYLOAD_TYPE',
    async attack(w, id) {
      const v2 = await rootV2Variant(w, {}, 'application/vnd.palisade.root.v0+json')
      await w.deliver(id, await w.logged(await approved(w, id), { rootUpdates: [v2] }))
    },
  },
]
