/**
 * Everything a scenario can reach: the device's org and another org, the
 * attacker's own keys, the rogue gateway, the real agent process, and the
 * sentinel files that tell whether a script ran.
 *
 * Who holds what (the breached-server model): the attacker holds the
 * server's database and the log key of every org it hosts, ONE stolen admin
 * key (acme's admin0, which the org later rotates out in root v2), and any
 * key it makes up. It relays, but cannot make, the honest admins'
 * signatures (admin1..admin4) and the witnesses' cosignatures: honest
 * witnesses cosign any append-only extension of the one log they follow,
 * and nothing else.
 */
import { existsSync, readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { formatDelivery, type Delivery } from '@palisade/protocol'
import { AgentProcess, type EnrolledDevice } from './agent-process.js'
import { nowSeconds, type AttackOrg, type Json } from './attack-org.js'
import { key, type Key } from './keys.js'
import type { RogueGateway } from './rogue-gateway.js'

/** The attacker's own material: none of it is trusted by any root. */
export interface Attacker {
  /** acme's admin0, phished: one admin key, the most the threat model grants. */
  readonly stolen: Key
  /** A key the attacker generated and would like to be an admin. */
  readonly own: Key
  /** A log key that is not the org's, under the log's name. */
  readonly fakeLogKey: Key
  /** A "witness" the attacker runs itself. */
  readonly witness: Key
}

export class World {
  readonly a: AttackOrg
  readonly b: AttackOrg
  readonly device: EnrolledDevice
  readonly gw: RogueGateway
  readonly attacker: Attacker
  /** Two other devices of acme, for retargeting. */
  readonly others: readonly string[] = ['dev-zz-other-1', 'dev-zz-other-2']
  /** The account scripts run as: whoever runs the suite. */
  readonly runAs = userInfo().username
  readonly runsDir: string
  readonly policyPath: string
  #agent: AgentProcess | undefined
  /** Commands that ran (controls), with where they sit in the log: the material of replays. */
  readonly ran = new Map<string, { readonly envelope: string; readonly index: number }>()
  /**
   * A command the honest quorum approved that sits in the log at a small
   * index, with the (real, cosigned) checkpoint of that time: the material
   * of a log rollback. Set up before the agent first connects.
   */
  stale: { readonly id: string; readonly envelope: string; readonly index: number; readonly note: string } | undefined

  constructor(o: { a: AttackOrg; b: AttackOrg; device: EnrolledDevice; gw: RogueGateway; runsDir: string; policyPath: string }) {
    this.a = o.a
    this.b = o.b
    this.device = o.device
    this.gw = o.gw
    this.runsDir = o.runsDir
    this.policyPath = o.policyPath
    this.attacker = {
      stolen: o.a.admins[0]!,
      own: key('attacker/own', 'admin9'),
      fakeLogKey: key('attacker/log', o.a.origin),
      witness: key('attacker/witness', 'witness.attacker.example'),
    }
  }

  /** The agent process under attack (started by startAgent). */
  get agent(): AgentProcess {
    if (this.#agent === undefined) throw new Error('the agent has not been started')
    return this.#agent
  }

  /** Starts `palisade-agent run` on the enrolled state. */
  startAgent(): AgentProcess {
    this.#agent = new AgentProcess(this.device.dir, this.policyPath)
    return this.#agent
  }

  /** The honest quorum of acme under root v1 and v2 (admin1 + admin2): the server relays their signatures. */
  get quorum(): readonly Key[] {
    return [this.a.admins[1]!, this.a.admins[2]!]
  }

  /** The script of command `id`: it appends a line to its run file, so a run is visible and countable. */
  script(id: string): string {
    return `echo ran >> '${join(this.runsDir, id)}'`
  }

  /** How many times command `id` ran on the device. */
  runs(id: string): number {
    const p = join(this.runsDir, id)
    return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l !== '').length : 0
  }

  /** A valid acme command payload whose script marks its run; `over` replaces fields. */
  cmd(id: string, over: Json = {}): Json {
    return this.a.command(id, { script: this.script(id), runAs: this.runAs, ...over })
  }

  /**
   * acme's root v2, the honest rotation that removes admin0 (the stolen
   * key) and adds admin3, signed by the v1 quorum and by v2's own keys.
   * Published (logged, offered to the agent by honest deliveries) on first use.
   */
  async rootV2(): Promise<string> {
    if (this.a.roots.length < 2) {
      const [, a1, a2, a3] = this.a.admins
      const v2 = await this.a.signRoot(this.a.rootObject(2, [a1!, a2!, a3!]), [a1!, a2!, a3!])
      this.a.roots.push(v2)
      this.a.ledger.appendRoot(v2)
    }
    return this.a.roots[1]!
  }

  /** Root envelopes an honest server would send: those above the version the agent reported. */
  get pendingRoots(): string[] {
    return this.a.roots.slice(Math.max(this.gw.agentRootVersion, 1))
  }

  /**
   * Appends `envelope` to acme's log (the attacker holds the log key, and
   * witnesses cosign any append-only extension) and builds the delivery an
   * honest server would: cosigned checkpoint of the whole log, inclusion
   * proof, consistency proof from the agent's last checkpoint.
   */
  async logged(envelope: string, over: Partial<Delivery> = {}): Promise<Delivery> {
    const index = this.a.ledger.append(envelope)
    return { ...(await this.redelivery(index, envelope)), ...over }
  }

  /** A fresh, honest delivery of an entry already in acme's log (what a replay looks like). */
  async redelivery(index: number, envelope: string): Promise<Delivery> {
    const { ledger } = this.a
    return {
      envelope,
      leafIndex: index,
      inclusionProof: ledger.inclusion(index),
      checkpoint: await ledger.note({ logKey: this.a.logKey, witnesses: this.a.witnesses, time: nowSeconds() }),
      consistencyProof: ledger.consistency(this.gw.agentCheckpointSize),
      rootUpdates: this.pendingRoots,
    }
  }

  /** Resolves when the agent has authenticated on a connection opened after event index `since`. */
  async reconnected(since: number, timeoutMs = 20_000): Promise<void> {
    await this.gw.waitFor((e) => e.type === 'hello' && e.ok, timeoutMs, since)
  }

  /** Sends a delivery frame labelled `commandId` (the server's unverified label). */
  deliver(commandId: string, delivery: Delivery): Promise<void> {
    return this.deliverRaw(commandId, formatDelivery(delivery))
  }

  /** Sends a delivery frame whose body is any JSON value, well-formed or not. */
  deliverRaw(commandId: string, body: unknown): Promise<void> {
    return this.gw.send({ type: 'delivery', commandId, delivery: body })
  }

  /** Stops the agent process, if one was started. */
  async stopAgent(): Promise<void> {
    await this.#agent?.stop()
  }

  /** Stops the agent process cleanly and starts it again on the same state. */
  async restartAgent(): Promise<void> {
    const code = await this.agent.stop()
    if (code !== 0) throw new Error(`the agent exited with ${code} on SIGTERM; output:\n${this.agent.output}`)
    this.startAgent()
  }
}
