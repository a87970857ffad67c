import { useId } from 'react'
import { hourLabel } from '../../lib/format.js'
import { t } from '../../lib/strings.js'

/**
 * The guests called each hour of the service day, as a bar chart with an hour axis: the host's
 * today and the hub's sites. `bars` are {hour (0–23), count, averageWait (seconds or null),
 * start (an optional key)}, every hour of the axis (empty hours too). The count stands on each
 * bar; the same figures are in a table for screen readers (the drawing is hidden from them).
 * `keys` is the page's dictionary prefix ("host.stats", "hub"): its chart, chartEmpty,
 * chartHour, chartCalled, chartWait texts; `duration(seconds)` says an average wait.
 */
export default function HourBars({ bars, duration, keys, testId }) {
  const id = useId()
  const tallest = Math.max(1, ...bars.map((bar) => bar.count))
  const called = bars.some((bar) => bar.count > 0)
  return (
    <figure className="grid min-w-0 gap-2" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} className="text-lg font-semibold">
        {t(`${keys}.chart`)}
      </figcaption>
      {!called ? (
        <p className="text-base text-stone-700">{t(`${keys}.chartEmpty`)}</p>
      ) : (
        <>
          <div aria-hidden="true" data-testid={testId} className="grid min-w-0 gap-1">
            <ol className="flex h-36 items-end gap-0.5 border-b-2 border-stone-700">
              {bars.map((bar) => (
                <li key={bar.start ?? bar.hour} className="flex h-full min-w-0 flex-1 flex-col items-center justify-end" data-hour={bar.hour}>
                  <span className="text-sm font-semibold tabular-nums">{bar.count > 0 ? bar.count : ''}</span>
                  <span
                    className="w-full max-w-10 rounded-t bg-blue-800"
                    style={{ height: bar.count > 0 ? `${Math.max(3, Math.round((bar.count / tallest) * 80))}%` : '0' }}
                  />
                </li>
              ))}
            </ol>
            <ol className="flex gap-0.5" data-testid={testId ? `${testId}-hours` : undefined}>
              {bars.map((bar, index) => (
                <li key={bar.start ?? bar.hour} className="min-w-0 flex-1 text-center text-xs tabular-nums text-stone-800">
                  {/* Every hour on a short axis; every other one on a long one, so labels never collide. */}
                  {bars.length <= 12 || index % 2 === 0 ? hourLabel(bar.hour) : ''}
                </li>
              ))}
            </ol>
          </div>
          {/* In a clipped box: a table never shrinks below its content, sr-only or not. */}
          <div className="sr-only">
            <table>
              <caption>{t(`${keys}.chart`)}</caption>
              <thead>
                <tr>
                  <th scope="col">{t(`${keys}.chartHour`)}</th>
                  <th scope="col">{t(`${keys}.chartCalled`)}</th>
                  <th scope="col">{t(`${keys}.chartWait`)}</th>
                </tr>
              </thead>
              <tbody>
                {bars.map((bar) => (
                  <tr key={bar.start ?? bar.hour}>
                    <th scope="row">{hourLabel(bar.hour)}</th>
                    <td>{bar.count}</td>
                    <td>{bar.averageWait === null ? '–' : duration(bar.averageWait)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </figure>
  )
}
