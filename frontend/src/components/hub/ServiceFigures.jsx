import { useId } from 'react'
import { t } from '../../lib/strings.js'
import { countText, waitText } from './format.js'

// What each service's row shows (issue 15), from the hub's `today.services`: the box's own
// figures (qode.stats), summed per service.
const FIGURES = [
  ['hub.served', (s) => countText(s.served)],
  ['hub.avgWait', (s) => waitText(s.waited_mean_seconds)],
  ['hub.noShows', (s) => countText(s.no_shows)],
  ['hub.transfersOut', (s) => countText(s.transfers_out)],
  ['hub.transfersIn', (s) => countText(s.transfers_in)],
  ['hub.priorityServed', (s) => countText(s.priority_served)],
]

/** Today's figures of each service of a site with more than one; nothing for a single service
 * (the site's figures are that service's). Each service is a list of label/value pairs that wrap. */
export default function ServiceFigures({ services }) {
  const id = useId()
  const list = Array.isArray(services) ? services.filter((s) => s && typeof s === 'object') : []
  if (list.length < 2) return null
  return (
    <section aria-labelledby={`${id}-title`} className="grid gap-2">
      <h4 id={`${id}-title`} className="text-xl font-bold">
        {t('hub.servicesTitle')}
      </h4>
      <ul className="grid gap-2">
        {list.map((service) => (
          <li key={service.queue_id} className="grid gap-1 rounded-xl bg-stone-100 p-3" data-testid="service-figures">
            <span className="text-lg font-bold wrap-anywhere">{service.service || t('hub.none')}</span>
            <dl className="flex flex-wrap gap-x-5 gap-y-1">
              {FIGURES.map(([key, value]) => (
                <div key={key} className="flex items-baseline gap-2">
                  <dt className="text-base text-stone-700">{t(key)}</dt>
                  <dd className="text-lg font-black tabular-nums">{value(service)}</dd>
                </div>
              ))}
            </dl>
          </li>
        ))}
      </ul>
    </section>
  )
}
