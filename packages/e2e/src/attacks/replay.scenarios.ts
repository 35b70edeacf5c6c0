/**
 * G1, never twice: a command that ran on this device never runs again,
 * whatever the server does: redeliver it on the same connection, after a
 * reconnect, or after the agent restarts (the executed set is persisted
 * before the script starts).
 */
import { commandId, type Scenario } from './scenario.js'
import type { World } from './world.js'

const FIRST = commandId('control-first')

async function replayFirst(w: World): Promise<void> {
  const ran = w.ran.get(FIRST)
  if (ran === undefined) throw new Error('the first control did not run, nothing to replay')
  await w.deliver(FIRST, await w.redelivery(ran.index, ran.envelope))
}

export const replayScenarios: readonly Scenario[] = [
  {
    slug: 'replay-same-connection',
    title: 'Replay of an executed command on the connection that just acknowledged its result',
    guarantee: 'G1',
    // device-agent.ts: answered with the (already acknowledged) result, not a
    // rejection, so that honest redelivery races raise no alarm
    expect: null,
    runsOf: FIRST,
    attack: replayFirst,
  },
  {
    slug: 'replay-after-reconnect',
    title: 'Replay of an executed command after the server drops and the agent reconnects',
    guarantee: 'G1',
    expect: 'PROTO_REPLAY',
    runsOf: FIRST,
    reportId: FIRST,
    async attack(w) {
      const since = w.gw.events.length
      w.gw.drop()
      await w.reconnected(since)
      await replayFirst(w)
    },
  },
  {
    slug: 'replay-after-restart',
    title: 'Replay of an executed command after the agent process restarts',
    guarantee: 'G1',
    expect: 'PROTO_REPLAY',
    runsOf: FIRST,
    reportId: FIRST,
    async attack(w) {
      const since = w.gw.events.length
      await w.restartAgent()
      await w.reconnected(since)
      await replayFirst(w)
    },
  },
]
