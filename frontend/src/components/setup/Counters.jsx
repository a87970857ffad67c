import { useState } from 'react'
import Button from '../Button.jsx'
import { CheckRow } from '../shared/CheckRow.jsx'
import Field from '../shared/Field.jsx'
import { useSend } from '../shared/useSend.js'
import { errorText, t } from '../../lib/strings.js'
import { byCounterName } from '../../lib/counterOrder.js'
import '../../lib/strings.screens.js'
import ServicePicker from './ServicePicker.jsx'
import { useBoxList } from './useBoxList.js'

// Counter names as people count them: 1, 2, … 12, not 1, 12, 2.

const MAX_SERVICES = 8

/** The box's counters (desks): each with its services in order, its rule and open/closed; add and edit. */
export default function Counters({ api, services, onRejected }) {
  const [state, setCounters] = useBoxList(api.listCounters, 'counters', onRejected)
  const [editing, setEditing] = useState(null) // a counter id, 'new' or null
  const [saved, setSaved] = useState(null)

  function done(counter) {
    setCounters((list) =>
      list.some((c) => c.id === counter.id) ? list.map((c) => (c.id === counter.id ? counter : c)) : [...list, counter],
    )
    setSaved(counter.name)
    setEditing(null)
  }

  return (
    <section aria-labelledby="counters-title" className="grid gap-4 rounded-2xl bg-white p-3 shadow-sm sm:p-5 ring-1 ring-stone-300">
      <h2 id="counters-title" className="text-2xl font-bold">
        {t('setup.countersTitle')}
      </h2>
      <p className="text-base text-stone-700">{t('setup.countersHelp')}</p>
      {state.status === 'error' ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {errorText(state.error)}
        </p>
      ) : null}
      {saved ? (
        <p role="status" className="text-lg font-semibold text-emerald-900">
          {t('setup.counterSaved', { name: saved })}
        </p>
      ) : null}
      {state.status === 'ready' && !state.list.length ? <p className="text-lg">{t('setup.noCounters')}</p> : null}
      {state.list.length ? (
        <ul className="grid gap-3">
          {byCounterName(state.list).map((counter) => (
            <li key={counter.id} className="grid gap-2 rounded-xl bg-stone-100 p-2 sm:p-4">
              <p className="text-lg font-bold">
                {counter.name} · {counter.is_open ? t('setup.counterOpen') : t('setup.counterClosed')}
              </p>
              <p className="text-base">
                {counter.services.map((s, i) => `${i + 1}. ${s.name}${counter.rule === 'weighted' ? ` ×${s.weight}` : ''}`).join(' · ')}
              </p>
              <p className="text-base text-stone-700">{counter.rule === 'weighted' ? t('setup.ruleWeighted') : t('setup.ruleOrder')}</p>
              {editing === counter.id ? (
                <CounterForm api={api} services={services} counter={counter} onDone={done} onCancel={() => setEditing(null)} onRejected={onRejected} />
              ) : (
                <div>
                  <Button kind="secondary" className="w-auto" onClick={() => setEditing(counter.id)}>
                    {t('setup.counterEdit', { name: counter.name })}
                  </Button>
                </div>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {editing === 'new' ? (
        <CounterForm api={api} services={services} counter={null} onDone={done} onCancel={() => setEditing(null)} onRejected={onRejected} />
      ) : (
        <div>
          <Button className="w-auto" onClick={() => setEditing('new')}>
            {t('setup.counterAdd')}
          </Button>
        </div>
      )}
    </section>
  )
}

function counterFailure(err) {
  if (err?.code === 'counter_open') return t('setup.counterRenameOpen')
  if (err?.code === 'counter_name_taken') return t('setup.counterNameTaken')
  return errorText(err)
}

/** Make a counter (`counter` null) or change one: name, services in order, rule and weights. */
function CounterForm({ api, services, counter, onDone, onCancel, onRejected }) {
  const key = counter?.id ?? 'new'
  const [name, setName] = useState(counter?.name ?? '')
  const [picked, setPicked] = useState(counter ? counter.services.map((s) => s.queue_id) : [])
  const [rule, setRule] = useState(counter?.rule ?? 'order')
  const [weights, setWeights] = useState(() => Object.fromEntries((counter?.services ?? []).map((s) => [s.queue_id, String(s.weight)])))
  const { busy, problems, failure, send } = useSend(onRejected)
  const byId = Object.fromEntries(services.map((s) => [s.id, s]))
  // A counter may serve a service that is no longer offered: keep it listed while it is ticked.
  const offered = [...services, ...(counter?.services ?? []).filter((s) => !byId[s.queue_id]).map((s) => ({ id: s.queue_id, name: s.name }))]

  function submit(event) {
    event.preventDefault()
    const found = {}
    if (!name.trim()) found.name = t('setup.counterNameRequired')
    if (!picked.length) found.services = t('setup.counterServicesRequired')
    const list = picked.map((queueId) => {
      const weight = rule === 'weighted' ? Number(String(weights[queueId] ?? '1').replace(',', '.')) : 1
      if (!(weight > 0 && weight <= 100)) found.weights = t('setup.weightInvalid')
      return { queue_id: queueId, weight }
    })
    send(
      found,
      async () => {
        let answer
        if (!counter) {
          answer = await api.createCounter({ name: name.trim(), rule, services: list })
        } else {
          const body = { rule, services: list }
          if (name.trim() !== counter.name) body.name = name.trim() // a rename only: an open counter refuses it
          answer = await api.patchCounter(counter.id, body)
        }
        onDone(answer)
      },
      counterFailure,
    )
  }

  const title = counter ? t('setup.counterEditTitle', { name: counter.name }) : t('setup.counterAddTitle')
  return (
    <form aria-label={title} className="grid gap-4 rounded-xl border-2 border-stone-400 bg-white p-2 sm:p-4" noValidate onSubmit={submit}>
      <h3 className="text-xl font-bold">{title}</h3>
      <Field
        id={`counter-name-${key}`}
        label={t('setup.counterName')}
        hint={counter?.is_open ? t('setup.counterNameOpenHint') : t('setup.counterNameHint')}
        error={problems.name}
        value={name}
        maxLength={32}
        onChange={(event) => setName(event.target.value)}
      />
      <ServicePicker
        id={`counter-services-${key}`}
        legend={t('setup.counterServices', { max: MAX_SERVICES })}
        services={offered}
        picked={picked}
        onChange={setPicked}
        max={MAX_SERVICES}
        error={problems.services}
      />
      <fieldset className="grid gap-1">
        <legend className="text-lg font-semibold">{t('setup.ruleLabel')}</legend>
        {['order', 'weighted'].map((value) => (
          <CheckRow key={value} type="radio" id={`counter-rule-${key}-${value}`} name={`counter-rule-${key}`} checked={rule === value} onChange={() => setRule(value)}>
            {value === 'order' ? t('setup.ruleOrder') : t('setup.ruleWeighted')}
          </CheckRow>
        ))}
      </fieldset>
      {rule === 'weighted' && picked.length ? (
        <fieldset className="grid gap-2">
          <legend className="text-lg font-semibold">{t('setup.weightsLabel')}</legend>
          <p className="text-base text-stone-700">{t('setup.weightsHint')}</p>
          {picked.map((queueId) => {
            const inputId = `counter-weight-${key}-${queueId}`
            return (
              <div key={queueId} className="flex flex-wrap items-center gap-3">
                <label htmlFor={inputId} className="min-w-0 flex-1 basis-40 text-lg">
                  {offered.find((s) => s.id === queueId)?.name ?? queueId}
                </label>
                <input
                  id={inputId}
                  inputMode="decimal"
                  value={weights[queueId] ?? '1'}
                  onChange={(event) => setWeights((w) => ({ ...w, [queueId]: event.target.value }))}
                  className="min-h-12 w-24 rounded-lg border-2 border-stone-500 bg-white px-3 text-lg"
                />
              </div>
            )
          })}
          {problems.weights ? <p className="text-base font-semibold text-red-800">{problems.weights}</p> : null}
        </fieldset>
      ) : null}
      {failure ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {failure}
        </p>
      ) : null}
      <div className="flex flex-wrap gap-3">
        <Button type="submit" disabled={busy} className="w-auto flex-auto">
          {busy ? t('setup.saving') : counter ? t('setup.counterSave') : t('setup.counterCreate')}
        </Button>
        <Button kind="secondary" onClick={onCancel} disabled={busy} className="w-auto flex-auto">
          {t('setup.cancel')}
        </Button>
      </div>
    </form>
  )
}
