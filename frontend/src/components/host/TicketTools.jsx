import { useEffect, useId, useState } from 'react'
import Button from '../Button.jsx'
import { CheckRow } from '../shared/CheckRow.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

const ROW_BUTTON = 'min-h-11! w-auto! px-3! text-base!'
const PLACEMENTS = ['original', 'end']

/**
 * A ticket's issue-15 controls: "Give priority"/"Remove priority" (WAITING only) and "Transfer",
 * which opens a small form: the service to send it to, and where it stands there ("keep their
 * place" or "end of the line", the target's own default chosen first). `tools`:
 * {services, defaultPlacement(queueId) → Promise, onTransfer(ticket, queueId, placement),
 * onPriority(ticket, value), busy}.
 */
export function TicketButtons({ ticket, tools, open, onOpen }) {
  const { busy } = tools
  return (
    <>
      {ticket.status === 'WAITING' ? (
        <Button
          kind="secondary"
          className={ROW_BUTTON}
          disabled={busy.has(`priority:${ticket.id}`)}
          aria-label={t('host.action.label', { action: t(ticket.priority ? 'host.priority.remove' : 'host.priority.give'), number: ticket.display_number })}
          onClick={() => tools.onPriority(ticket, !ticket.priority)}
        >
          {t(ticket.priority ? 'host.priority.remove' : 'host.priority.give')}
        </Button>
      ) : null}
      <Button
        kind="secondary"
        className={ROW_BUTTON}
        aria-expanded={open}
        aria-label={t('host.action.label', { action: t('host.transfer'), number: ticket.display_number })}
        onClick={() => onOpen(open ? null : ticket.id)}
      >
        {t('host.transfer')}
      </Button>
    </>
  )
}

export function TransferForm({ ticket, tools, onDone }) {
  const id = useId()
  const targets = (tools.services ?? []).filter((s) => s.id !== ticket.queue_id && s.active !== false)
  const [target, setTarget] = useState(targets[0]?.id ?? '')
  const [placement, setPlacement] = useState(null) // null: the target's default, once known
  const [fallback, setFallback] = useState('original')
  const { defaultPlacement } = tools
  useEffect(() => {
    if (!target) return undefined
    let stop = false
    Promise.resolve(defaultPlacement(target))
      .then((value) => {
        if (!stop && PLACEMENTS.includes(value)) setFallback(value)
      })
      .catch(() => {})
    return () => {
      stop = true
    }
  }, [target, defaultPlacement])
  const chosen = placement ?? fallback
  const name = targets.find((s) => s.id === target)?.name ?? ''
  const busy = tools.busy.has(`transfer:${ticket.id}`)

  if (!targets.length) {
    return (
      <div className="my-1 grid gap-2 rounded-xl border-2 border-stone-700 p-3">
        <p className="text-lg">{t('host.transfer.none')}</p>
        <Button kind="secondary" onClick={() => onDone()}>
          {t('host.transfer.back')}
        </Button>
      </div>
    )
  }
  return (
    <form
      className="my-1 grid gap-3 rounded-xl border-2 border-blue-800 p-3"
      aria-labelledby={`${id}-title`}
      onSubmit={async (event) => {
        event.preventDefault()
        const answer = await tools.onTransfer(ticket, target, chosen, name)
        if (answer?.ok) onDone()
      }}
    >
      <p id={`${id}-title`} className="text-lg font-semibold">
        {t('host.transfer.title', { number: ticket.display_number })}
      </p>
      <div className="grid gap-1">
        <label htmlFor={`${id}-to`} className="text-base font-semibold">
          {t('host.transfer.to')}
        </label>
        <select
          id={`${id}-to`}
          value={target}
          onChange={(event) => {
            setTarget(event.target.value)
            setPlacement(null)
          }}
          className="min-h-12 w-full rounded-xl border-2 border-stone-700 bg-white px-3 text-lg text-stone-950"
        >
          {targets.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="grid gap-1">
        <legend className="text-base font-semibold">{t('host.transfer.placement')}</legend>
        {PLACEMENTS.map((value) => (
          <CheckRow key={value} type="radio" className="wrap-anywhere" name={`${id}-placement`} value={value} checked={chosen === value} onChange={() => setPlacement(value)}>
            {t(`host.transfer.${value}`)}
            {value === fallback ? <span className="text-stone-700"> {t('host.transfer.default')}</span> : null}
          </CheckRow>
        ))}
      </fieldset>
      <div className="grid gap-2 sm:grid-cols-2">
        <Button type="submit" disabled={busy || !target}>
          {t('host.transfer.send', { service: name })}
        </Button>
        <Button kind="secondary" onClick={() => onDone()}>
          {t('host.transfer.back')}
        </Button>
      </div>
    </form>
  )
}
