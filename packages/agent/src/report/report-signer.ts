/**
 * Signs what the device reports: results of commands it ran, rejections
 * of deliveries (and checkpoints) it refused, and alerts it raised, as DSSE envelopes under the device key
 * (keyid = keyId(device public key)). The server relays and stores them; it
 * cannot forge them, because the device key never leaves the device.
 */
import {
  ALERT_PAYLOAD_TYPE,
  dsse,
  formatAlert,
  formatReport,
  keyId,
  REJECTION_PAYLOAD_TYPE,
  RESULT_PAYLOAD_TYPE,
  type Alert,
  type CommandResult,
  type Rejection,
} from '@palisade/protocol'

/** Signs reports with one device key. */
export class ReportSigner {
  readonly keyid: string
  readonly #signer: dsse.Signer

  constructor(seed: Uint8Array, publicKey: Uint8Array) {
    this.keyid = keyId(publicKey)
    this.#signer = dsse.ed25519Signer(this.keyid, seed)
  }

  /**
   * The DSSE envelope (canonical JSON text) of a result, rejection or alert.
   * formatReport / formatAlert re-parse the payload first, so nothing unparseable is signed.
   *
   * @example
   * const envelope = await signer.sign(rejection)
   */
  async sign(report: CommandResult | Rejection | Alert): Promise<string> {
    const env =
      report.type === 'palisade.alert/v1'
        ? await dsse.signEnvelope(ALERT_PAYLOAD_TYPE, formatAlert(report), [this.#signer])
        : await dsse.signEnvelope(report.type === 'palisade.result/v1' ? RESULT_PAYLOAD_TYPE : REJECTION_PAYLOAD_TYPE, formatReport(report), [this.#signer])
    return dsse.formatEnvelope(env)
  }
}
