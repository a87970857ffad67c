// Issue 16 (nearly): a service's "nearly up at N ahead" (0 to 20; 0 = only when called), the
// number at which a waiting guest's phone alerts. PATCH /api/queues/{id} with the admin token.
import { useId, useState } from 'react'
import Button from '../Button.jsx'
import { errorText, t } from '../../lib/strings.js'
import { NEARLY_UP_MAX, parseNearlyUp } from '../../lib/nearlyUp.js'
import '../../lib/strings.screens.js'

export default function NearlyUp({ queue, api, onSaved, onRejected }) {
  const id = useId()
  const [draft, setDraft] = useState(String(queue.nearly_up ?? 3))
  const [busy, setBusy] = useState(false)
  const [said, setSaid] = useState(null) // {tone: 'ok' | 'error', text}

  async function save(event) {
    event.preventDefault()
    const value = parseNearlyUp(draft)
    if (value === null) {
      setSaid({ tone: 'error', text: t('setup.nearlyUp.invalid') })
      return
    }
    setBusy(true)
    setSaid(null)
    try {
      const answer = await api.updateQueue(queue.id, { nearly_up: value })
      onSaved?.(answer)
      setDraft(String(answer?.nearly_up ?? value))
      setSaid({ tone: 'ok', text: t('setup.nearlyUp.saved') })
    } catch (err) {
      if (!onRejected?.(err)) setSaid({ tone: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  const invalid = said?.tone === 'error'
  return (
    <form noValidate className="grid gap-2" onSubmit={save} data-testid="nearly-up-setting">
      <label htmlFor={`${id}-n`} className="text-lg font-semibold">
        {t('setup.nearlyUp.label')}
      </label>
      <p id={`${id}-help`} className="text-base text-stone-700">
        {t('setup.nearlyUp.help')}
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <input
          id={`${id}-n`}
          type="number"
          inputMode="numeric"
          min="0"
          max={NEARLY_UP_MAX}
          step="1"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          aria-describedby={`${id}-help ${id}-said`}
          aria-invalid={invalid ? 'true' : undefined}
          className="min-h-12 w-24 rounded-lg border-2 border-stone-700 bg-white px-3 text-lg tabular-nums focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700"
        />
        <Button type="submit" kind="secondary" disabled={busy} className="w-auto">
          {t('setup.nearlyUp.save')}
        </Button>
      </div>
      <p id={`${id}-said`} role="status" className={`text-base font-semibold ${invalid ? 'text-red-800' : 'text-emerald-900'}`}>
        {said?.text ?? ''}
      </p>
    </form>
  )
}
