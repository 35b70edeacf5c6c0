/**
 * Protocol benchmarks (npm run bench). Figures are ratios against a peer
 * measured in the same run, interleaved, reporting medians, because these
 * machines are noisy:
 *   1. Ed25519 verifications/s through CryptoProvider.verify vs raw
 *      node:crypto verify with a prebuilt KeyObject (target ratio >= 0.9);
 *   2. verifyCommand/s for a typical delivery (2 admin signatures, the log
 *      signature, 2 witness cosignatures, a 20-step inclusion proof and a
 *      14-step consistency proof) vs its floor: the rate of the 5 raw
 *      Ed25519 verifications that this delivery needs, on the very keys,
 *      messages and signatures verifyCommand checks, with prebuilt KeyObjects
 *      (target ratio >= 0.85). The median time verifyCommand spends on
 *      everything else is printed too.
 */
import * as nc from 'node:crypto'
import {
  nodeCrypto, merkle, checkpoint, note, cosignature, dsse, verifyCommand, initialTrustState, toHex, utf8,
  type CryptoProvider, type Delivery, type TrustState,
} from '../../dist/node.js'
import { NOW, TestOrg } from '../fixtures/org.js'

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

/** Runs fn repeatedly for ~ms and returns operations per second. */
function rate(fn: () => void, ms: number): number {
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) fn()
    n += 50
    now = performance.now()
  }
  return (n * 1000) / (now - start)
}

interface Interleaved {
  /** Median operations per second of a and of b. */
  readonly a: number
  readonly b: number
  /** Median over rounds of rate(a) / rate(b). */
  readonly ratio: number
  /** Median over rounds of the time one a takes beyond one b, in µs. */
  readonly extraMicros: number
}

/**
 * Rates of a and b measured in alternation; each round runs them in the
 * other order from the last, so neither always runs in the wake of the
 * other (its garbage, its cache footprint).
 */
function interleave(a: () => void, b: () => void, rounds = 15, ms = 200): Interleaved {
  const ra: number[] = [], rb: number[] = [], ratios: number[] = [], extra: number[] = []
  for (let i = 0; i < 2; i++) { rate(a, 50); rate(b, 50) } // warm up
  for (let i = 0; i < rounds; i++) {
    let x: number, y: number
    if (i % 2 === 0) { x = rate(a, ms); y = rate(b, ms) } else { y = rate(b, ms); x = rate(a, ms) }
    ra.push(x); rb.push(y); ratios.push(x / y); extra.push(1e6 / x - 1e6 / y)
  }
  return { a: median(ra), b: median(rb), ratio: median(ratios), extraMicros: median(extra) }
}

async function typicalDelivery(): Promise<{ org: TestOrg; state: TrustState; delivery: Delivery }> {
  const org = await new TestOrg({ admins: 3, witnesses: 2, quorum: 2 }).init()
  const state0 = initialTrustState(org.fingerprint, org.rootEnvelopes, NOW)
  // A log of 2^19 + 4242 leaves: inclusion proofs have 20 steps.
  const size = (1 << 19) + 4242
  const oldSize = size - 1000
  const index = 1000 // in the left, complete subtree: a 20-step path
  const envelope = await org.signCommand()
  const hashes: Uint8Array[] = new Array(size)
  const buf = new Uint8Array(8)
  for (let i = 0; i < size; i++) {
    new DataView(buf.buffer).setUint32(0, i)
    hashes[i] = merkle.leafHash(buf)
  }
  hashes[index] = merkle.leafHash(utf8(envelope))
  const signedCheckpoint = async (n: number): Promise<string> => {
    const body = checkpoint.format({ origin: org.origin, size: n, rootHash: merkle.rootFromLeafHashes(hashes.slice(0, n)), extensions: [] })
    let s = await note.sign(body, [await note.ed25519Signer(org.logKey.name, org.logKey.seed)])
    for (const w of org.witnesses) s += await cosignature.cosign(body, { name: w.name, seed: w.seed }, NOW)
    return s
  }
  const oldNote = await signedCheckpoint(oldSize)
  const oldCp = checkpoint.parse(oldNote.slice(0, oldNote.indexOf('\n\n') + 1))
  const state: TrustState = { ...state0, checkpoint: { size: oldSize, rootHash: oldCp.rootHash, note: oldNote } }
  const delivery: Delivery = {
    envelope,
    leafIndex: index,
    inclusionProof: merkle.inclusionProofFromLeafHashes(hashes, index),
    checkpoint: await signedCheckpoint(size),
    consistencyProof: merkle.consistencyProofFromLeafHashes(hashes, oldSize, size),
    rootUpdates: [],
  }
  return { org, state, delivery }
}

interface Ed25519Check {
  readonly publicKey: Uint8Array
  readonly message: Uint8Array
  readonly signature: Uint8Array
}

const describeCheck = (c: Ed25519Check): string => `${toHex(c.publicKey)}/${toHex(c.message)}/${toHex(c.signature)}`

/**
 * The Ed25519 checks a delivery calls for, derived from the formats alone:
 * each admin signature over the DSSE PAE, the log's signature over the
 * checkpoint body, and each witness's signature over its cosignature/v1
 * message.
 */
function expectedChecks(org: TestOrg, delivery: Delivery): Ed25519Check[] {
  const env = dsse.parseEnvelope(delivery.envelope)
  const pae = dsse.pae(env.payloadType, env.payload)
  const checks: Ed25519Check[] = env.signatures.map((s) => {
    const admin = org.admins.find((a) => a.id === s.keyid)
    if (admin === undefined) throw new Error(`bench envelope is signed by an unknown keyid ${s.keyid}`)
    return { publicKey: admin.pub, message: pae, signature: s.sig }
  })
  const { text, signatures } = note.parse(delivery.checkpoint)
  for (const s of signatures) {
    if (s.name === org.logKey.name) {
      checks.push({ publicKey: org.logKey.pub, message: utf8(text), signature: s.signature })
      continue
    }
    const witness = org.witnesses.find((w) => w.name === s.name)
    const time = cosignature.cosignatureTime(s.signature)
    if (witness === undefined || time === undefined) throw new Error(`bench checkpoint has an unexpected line by ${s.name}`)
    checks.push({ publicKey: witness.pub, message: cosignature.cosignatureMessage(text, time), signature: s.signature.subarray(8) })
  }
  return checks
}

/**
 * The Ed25519 checks verifyCommand actually makes, recorded through a
 * provider that logs them. It runs on a state of its own (roots parsed
 * afresh), so that nothing verifyCommand keeps per root can carry the
 * recording provider into the measurement.
 */
function recordedChecks(org: TestOrg, state: TrustState, delivery: Delivery): Ed25519Check[] {
  const own: TrustState = { ...initialTrustState(org.fingerprint, org.rootEnvelopes, NOW), checkpoint: state.checkpoint }
  const checks: Ed25519Check[] = []
  const recording: CryptoProvider = {
    ...nodeCrypto,
    name: 'recording',
    verify(publicKey, message, signature) {
      checks.push({ publicKey: publicKey.slice(), message: message.slice(), signature: signature.slice() })
      return nodeCrypto.verify(publicKey, message, signature)
    },
  }
  const r = verifyCommand(own, delivery, { id: 'dev-1' }, NOW, recording)
  if (!r.ok) throw new Error(`bench delivery does not verify: ${r.code} ${r.message}`)
  return checks
}

/**
 * The floor: the delivery's own Ed25519 checks, straight to node:crypto with
 * KeyObjects built beforehand. Refuses to measure unless verifyCommand makes
 * exactly these checks, each of which verifies.
 */
function floorChecks(org: TestOrg, state: TrustState, delivery: Delivery): Array<{ key: nc.KeyObject; message: Uint8Array; signature: Uint8Array }> {
  const expected = expectedChecks(org, delivery)
  const recorded = recordedChecks(org, state, delivery)
  const a = expected.map(describeCheck).sort()
  const b = recorded.map(describeCheck).sort()
  if (expected.length !== 5 || a.length !== b.length || a.some((x, i) => x !== b[i])) {
    throw new Error(`verifyCommand made ${recorded.length} Ed25519 checks, not the ${expected.length} this delivery calls for`)
  }
  const spki = Buffer.from('302a300506032b6570032100', 'hex')
  return expected.map((c) => {
    const key = nc.createPublicKey({ key: Buffer.concat([spki, c.publicKey]), format: 'der', type: 'spki' })
    const message = c.message.slice()
    const signature = c.signature.slice()
    if (!nc.verify(null, message, key, signature)) throw new Error('a floor signature does not verify')
    return { key, message, signature }
  })
}

async function main(): Promise<void> {
  console.log(`protocol bench — node ${process.version}, ${process.platform}/${process.arch}`)
  const seed = nc.randomBytes(32)
  const priv = nc.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' })
  const pubObj = nc.createPublicKey(priv)
  const pub = new Uint8Array(pubObj.export({ format: 'der', type: 'spki' })).subarray(12)
  const msg = nc.randomBytes(200)
  const sig = new Uint8Array(nc.sign(null, msg, priv))
  let sink = 0
  const viaInterface = () => { if (nodeCrypto.verify(pub, msg, sig)) sink++ }
  const raw = () => { if (nc.verify(null, msg, pubObj, sig)) sink++ }
  const ed = interleave(viaInterface, raw)
  console.log(`ed25519 verify: interface ${ed.a.toFixed(0)}/s, raw node:crypto ${ed.b.toFixed(0)}/s, ratio ${ed.ratio.toFixed(3)} (target >= 0.90) ${ed.ratio >= 0.9 ? 'OK' : 'BELOW TARGET'}`)

  const { org, state, delivery } = await typicalDelivery()
  const floor = floorChecks(org, state, delivery)
  const check = verifyCommand(state, delivery, { id: 'dev-1' }, NOW)
  if (!check.ok) throw new Error(`bench delivery does not verify: ${check.code} ${check.message}`)
  console.log(`typical delivery: ${delivery.inclusionProof.length}-step inclusion proof, ${delivery.consistencyProof.length}-step consistency proof, ${floor.length} Ed25519 signatures`)
  const vc = () => { if (verifyCommand(state, delivery, { id: 'dev-1' }, NOW).ok) sink++ }
  const floorRun = () => { for (const f of floor) if (nc.verify(null, f.message, f.key, f.signature)) sink++ }
  const r = interleave(vc, floorRun)
  console.log(`verifyCommand: ${r.a.toFixed(0)}/s, floor (its ${floor.length} Ed25519 verifications, raw) ${r.b.toFixed(0)}/s, ratio ${r.ratio.toFixed(3)} (target >= 0.85) ${r.ratio >= 0.85 ? 'OK' : 'BELOW TARGET'}`)
  console.log(`verifyCommand beyond Ed25519: ${r.extraMicros.toFixed(1)} µs per delivery (median)`)
  if (sink === 0) console.log('(sink)')
}

await main()
