/** The witnesses of root v1: URL and cosignature/v1 verifier key each, and the quorum. */
import type { SetupForm } from '../setup/setup-choices'

export function WitnessFields(props: { form: SetupForm; onChange: (f: SetupForm) => void }) {
  const { form } = props
  const setWitness = (i: number, k: 'url' | 'key', v: string): void =>
    props.onChange({ ...form, witnesses: form.witnesses.map((w, j) => (j === i ? { ...w, [k]: v } : w)) })
  return (
    <fieldset>
      <legend>3. Witnesses</legend>
      <p className="muted">
        Services run elsewhere (<code>palisade witness serve</code> prints its URL and verifier key) that cosign the log and refuse a forked history.
      </p>
      {form.witnesses.map((w, i) => (
        <div className="row" key={i}>
          <label>
            Witness {i + 1} URL
            <input required type="url" value={w.url} onChange={(e) => setWitness(i, 'url', e.target.value)} placeholder="https://witness.example.com" />
          </label>
          <label className="grow">
            Witness {i + 1} verifier key
            <input required value={w.key} onChange={(e) => setWitness(i, 'key', e.target.value)} placeholder="witness.example+1a2b3c4d+BG…" />
          </label>
          {form.witnesses.length > 1 ? (
            <button type="button" className="small ghost" onClick={() => props.onChange({ ...form, witnesses: form.witnesses.filter((_, j) => j !== i) })}>
              Remove witness {i + 1}
            </button>
          ) : null}
        </div>
      ))}
      <div className="row">
        <button type="button" className="ghost" onClick={() => props.onChange({ ...form, witnesses: [...form.witnesses, { url: '', key: '' }] })}>
          Add a witness
        </button>
        <label>
          Cosignatures needed per checkpoint
          <input type="number" min={1} max={form.witnesses.length} value={form.quorum} onChange={(e) => props.onChange({ ...form, quorum: e.target.value })} />
        </label>
      </div>
    </fieldset>
  )
}
