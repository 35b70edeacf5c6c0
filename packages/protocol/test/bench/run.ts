/**
 * Protocol benchmarks (npm run bench). Figures are ratios against a peer
 * measured in the same run, interleaved, reporting medians, because these
 * machines are noisy:
 *   1. Ed25519 verifications/s through CryptoProvider.verify vs raw
 *      node:crypto verify with a prebuilt KeyObject (target ratio >= 0.9);
 *   2. verifyCommand/s for a typical delivery (2 admin signatures, the log
 *      signature, 2 witness cosignatures, a 20-step inclusion proof and a
 *      consistency proof) vs its floor: the rate of 5 raw Ed25519
 *      verifications (target ratio >= 0.85).
 */
import * as nc from 'node:crypto'
import {
  nodeCrypto, merkle, checkpoint, note, cosignature, verifyCommand, initialTrustState, toBase64, utf8,
  type Delivery, type TrustState,
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

function interleave(a: () => void, b: () => void, rounds = 9, ms = 250): { a: number; b: number; ratio: number } {
  const ra: number[] = [], rb: number[] = [], ratios: number[] = []
  for (let i = 0; i < 2; i++) { rate(a, 50); rate(b, 50) } // warm up
  for (let i = 0; i < rounds; i++) {
    const x = rate(a, ms)
    const y = rate(b, ms)
    ra.push(x); rb.push(y); ratios.push(x / y)
  }
  return { a: median(ra), b: median(rb), ratio: median(ratios) }
}

async function typicalDelivery(): Promise<{ state: TrustState; delivery: Delivery }> {
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
  return { state, delivery }
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

  const { state, delivery } = await typicalDelivery()
  const check = verifyCommand(state, delivery, { id: 'dev-1' }, NOW)
  if (!check.ok) throw new Error(`bench delivery does not verify: ${check.code} ${check.message}`)
  console.log(`typical delivery: ${delivery.inclusionProof.length}-step inclusion proof, ${delivery.consistencyProof.length}-step consistency proof, 5 Ed25519 signatures`)
  const vc = () => { if (verifyCommand(state, delivery, { id: 'dev-1' }, NOW).ok) sink++ }
  const floor = () => { for (let i = 0; i < 5; i++) if (nc.verify(null, msg, pubObj, sig)) sink++ }
  const r = interleave(vc, floor)
  console.log(`verifyCommand: ${r.a.toFixed(0)}/s, floor (5 raw Ed25519 verifications) ${r.b.toFixed(0)}/s, ratio ${r.ratio.toFixed(3)} (target >= 0.85) ${r.ratio >= 0.85 ? 'OK' : 'BELOW TARGET'}`)
  if (sink === 0) console.log('(sink)')
  void toBase64
}

await main()
