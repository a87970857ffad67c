import FitWords from '../FitWords.jsx'
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
          <div key={service.id} className="flex min-h-12 items-center gap-3">
            <input
              id={boxId}
              type="checkbox"
              checked={place >= 0}
              disabled={place < 0 && full}
              onChange={() => toggle(service.id)}
              className="h-6 w-6 shrink-0 accent-blue-800"
            />
            <label htmlFor={boxId} className="min-w-0 flex-1 text-lg [container-type:inline-size]">
              <FitWords weight={400} className="[--fit-max:1.125rem]" text={service.name} />
              {place >= 0 ? ' ' : null}
              {place >= 0 ? <span className="ms-1 font-semibold text-stone-700">{t('setup.servicePlace', { place: place + 1 })}</span> : null}
            </label>
          </div>
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
