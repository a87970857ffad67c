import { useId, useState } from 'react'
import Button from '../Button.jsx'
import FitWords from '../FitWords.jsx'
import { t } from '../../lib/strings.js'
import { compareNames } from '../../lib/counterOrder.js'
import '../../lib/strings.host.js'
import Notice from './Notice.jsx'

export const STAFF_MAX = 80

/** The services ticked for `counter`: its own, in its order. */
const servicesOf = (counter) => (counter?.services ?? []).map((s) => s.queue_id)

// Counter names as people count them: 1, 2, … 12, not 1, 12, 2.

/**
 * The start of a desk session: which counter this tablet works at (the one it used last comes
 * first), which services that counter calls from this time, and, if the host likes, their name
 * for the day's figures. An open counter whose services and name stay as they are is resumed
 * without asking the box; anything else opens it (POST /api/counters/{id}/open).
 * `onOpen({counter, services: [{queue_id, weight?}], staff, resume})`.
 */
export default function CounterPicker({ counters, services, lastCounterId, busy, notice, onOpen }) {
  const id = useId()
  const sorted = [...counters].sort((a, b) => (b.id === lastCounterId) - (a.id === lastCounterId) || compareNames(a.name, b.name))
  const [counterId, setCounterId] = useState(() => sorted[0]?.id ?? null)
  const counter = counters.find((c) => c.id === counterId) ?? null
  const [ticked, setTicked] = useState(() => servicesOf(sorted[0]))
  const [staff, setStaff] = useState(() => sorted[0]?.staff ?? '')
  const [tried, setTried] = useState(false)

  // The services a host may tick: the box's active ones, the counter's own first in its order.
  const known = new Map(services.map((s) => [s.id, s]))
  for (const s of counter?.services ?? []) if (!known.has(s.queue_id)) known.set(s.queue_id, { id: s.queue_id, name: s.name, prefix: s.prefix })
  const own = servicesOf(counter)
  const choices = [...own.map((q) => known.get(q)), ...[...known.values()].filter((s) => !own.includes(s.id) && s.active !== false)].filter(Boolean)

  function choose(next) {
    setCounterId(next.id)
    setTicked(servicesOf(next))
    setStaff(next.staff ?? '')
  }

  const name = staff.trim()
  const staffOk = name.length <= STAFF_MAX
  const unchanged = counter?.is_open && ticked.join() === own.join() && name === (counter.staff ?? '')
  const ordered = choices.map((s) => s.id).filter((q) => ticked.includes(q))

  function submit(event) {
    event.preventDefault()
    setTried(true)
    if (!counter || !ordered.length || !staffOk) return
    const weights = new Map((counter.services ?? []).map((s) => [s.queue_id, s.weight]))
    onOpen({
      counter,
      services: ordered.map((q) => (weights.get(q) ? { queue_id: q, weight: weights.get(q) } : { queue_id: q })),
      staff: name || null,
      resume: Boolean(unchanged),
    })
  }

  if (!counters.length) {
    return (
      <div role="alert" className="grid gap-4">
        <h1 className="text-3xl font-bold">{t('host.desk.pickTitle')}</h1>
        <p className="text-xl">{t('host.desk.noCounters')}</p>
      </div>
    )
  }

  return (
    <form className="grid gap-6" onSubmit={submit} noValidate>
      <h1 className="text-3xl font-bold">{t('host.desk.pickTitle')}</h1>
      <fieldset className="grid gap-2">
        <legend className="mb-2 text-xl font-semibold">{t('host.desk.counter')}</legend>
        {sorted.map((c) => (
          <label key={c.id} className="flex min-h-12 items-center gap-3 rounded-xl border-2 border-stone-700 bg-white px-3 py-2 text-lg has-checked:border-blue-800 has-checked:ring-2 has-checked:ring-blue-800">
            <input type="radio" name={`${id}-counter`} checked={c.id === counterId} onChange={() => choose(c)} className="size-6 shrink-0 accent-blue-800" />
            <span className="grid min-w-0 flex-1 [container-type:inline-size]">
              <span className="font-bold wrap-anywhere">{t('host.atCounter', { counter: c.name })}</span>
              <FitWords
                weight={400}
                className="text-stone-800 [--fit-max:1rem]"
                text={[
                  t(c.is_open ? 'host.line.open' : 'host.line.closed'),
                  c.is_open && c.staff ? t('host.desk.staffed', { staff: c.staff }) : null,
                  (c.services ?? []).length ? c.services.map((s) => s.name).join(', ') : null,
                  c.id === lastCounterId ? t('host.desk.yours') : null,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              />
            </span>
          </label>
        ))}
      </fieldset>

      <fieldset className="grid gap-2" aria-describedby={`${id}-services-hint`}>
        <legend className="mb-1 text-xl font-semibold">{t('host.desk.services')}</legend>
        <p id={`${id}-services-hint`} className={`text-base ${tried && !ordered.length ? 'font-semibold text-red-800' : 'text-stone-700'}`}>
          {tried && !ordered.length ? t('host.desk.noServices') : t('host.desk.servicesHint')}
        </p>
        {choices.map((s) => (
          <label key={s.id} className="flex min-h-12 items-center gap-3 rounded-xl border-2 border-stone-700 bg-white px-3 py-2 text-lg">
            <input
              type="checkbox"
              checked={ticked.includes(s.id)}
              onChange={(event) => setTicked((now) => (event.target.checked ? [...now, s.id] : now.filter((q) => q !== s.id)))}
              className="size-6 shrink-0 accent-blue-800"
            />
            <span className="min-w-0 flex-1 [container-type:inline-size]">
              <FitWords weight={400} className="[--fit-max:1.125rem]" text={s.name} />
              {s.prefix ? <span className="text-stone-700" dir="ltr"> ({s.prefix})</span> : null}
            </span>
          </label>
        ))}
      </fieldset>

      <div className="grid gap-2">
        <label htmlFor={`${id}-staff`} className="text-xl font-semibold">
          {t('host.desk.staff')}
        </label>
        <input
          id={`${id}-staff`}
          type="text"
          value={staff}
          autoComplete="name"
          aria-describedby={`${id}-staff-hint`}
          aria-invalid={staffOk ? undefined : true}
          onChange={(event) => setStaff(event.target.value)}
          className="min-h-12 w-full rounded-xl border-2 border-stone-700 bg-white px-4 text-xl text-stone-950"
        />
        <p id={`${id}-staff-hint`} className={`text-base ${staffOk ? 'text-stone-700' : 'font-semibold text-red-800'}`}>
          {t('host.desk.staffHint')}
        </p>
      </div>

      <Button type="submit" big disabled={busy || !counter}>
        {busy ? t('host.desk.opening') : t(unchanged ? 'host.desk.resume' : 'host.desk.open', { counter: counter?.name ?? '' })}
      </Button>
      <Notice notice={notice} />
    </form>
  )
}
