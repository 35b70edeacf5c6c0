/** C2SP transparency-log checkpoints, and the cosigned-checkpoint check devices run. */
export { parse, format, type Checkpoint } from './checkpoint.js'
export {
  openCosignedCheckpoint,
  type CosignedCheckpointPolicy,
  type CosignedCheckpoint,
  type VerifiedCosignature,
} from './open-cosigned.js'
export { clampCosignedAt, cosignedAtAsOf, quorumCosignedAt, type TimedCosignature } from './cosigned-at.js'
