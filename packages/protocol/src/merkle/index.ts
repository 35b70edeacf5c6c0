/**
 * RFC 6962 / RFC 9162 Merkle trees with SHA-256: leaf and node hashes, tree
 * roots, inclusion and consistency proofs (building and verifying). Exposed
 * by the package as the `merkle` namespace.
 */
export { HASH_SIZE, leafHash, nodeHash, emptyRoot } from './hash.js'
export {
  rootHash,
  inclusionProof,
  consistencyProof,
  rootFromLeafHashes,
  inclusionProofFromLeafHashes,
  consistencyProofFromLeafHashes,
} from './tree.js'
export { Frontier } from './frontier.js'
export { MAX_PROOF_HASHES, verifyInclusion, verifyConsistency, checkInclusion, checkConsistency } from './verify.js'
