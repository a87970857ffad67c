import FitWords from '../FitWords.jsx'
import { CheckRow } from '../shared/CheckRow.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

/**
 * Tick services in the order they should count: `picked` is the ids in that order (a tick adds
 * at the end, an untick takes it out). At most `max` ticks; the unticked boxes are disabled then.
 */
export default function ServicePicker({ id, legend, services, picked, onChange, max = 256, error = null }) {
  function toggle(queueId) {
    onChange(picked.includes(queueId) ? picked.filter((x) => x !== queueId) : [...picked, queueId])
  }
  const full = picked.length >= max
  return (
    <fieldset className="grid gap-1" aria-describedby={error ? `${id}-error` : undefined}>
      <legend className="text-lg font-semibold">{legend}</legend>
      {services.map((service) => {
        const place = picked.indexOf(service.id)
        const boxId = `${id}-${service.id}`
        return (
          <CheckRow key={service.id} id={boxId} checked={place >= 0} disabled={place < 0 && full} onChange={() => toggle(service.id)}>
            <span className="block [container-type:inline-size]">
              <FitWords weight={400} className="[--fit-max:1.125rem]" text={service.name} />
              {place >= 0 ? ' ' : null}
              {place >= 0 ? <span className="ms-1 font-semibold text-stone-700">{t('setup.servicePlace', { place: place + 1 })}</span> : null}
            </span>
          </CheckRow>
        )
      })}
      {error ? (
        <p id={`${id}-error`} className="text-base font-semibold text-red-800">
          {error}
        </p>
      ) : null}
    </fieldset>
  )
}
