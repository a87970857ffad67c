import { useState } from 'react'
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'

/**
 * An admin page's "paste the token" form. `keys` is the page's dictionary prefix ("setup",
 * "hub"): its needTokenTitle/Body, badTokenTitle/Body, tokenLabel and tokenSubmit texts.
 * `bad` says the last token was refused.
 */
export default function TokenForm({ keys, bad, onToken }) {
  const [value, setValue] = useState('')
  return (
    <section role={bad ? 'alert' : undefined} className="grid gap-4 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-stone-300">
      <h2 className="text-2xl font-bold">{bad ? t(`${keys}.badTokenTitle`) : t(`${keys}.needTokenTitle`)}</h2>
      <p className="text-lg">{bad ? t(`${keys}.badTokenBody`) : t(`${keys}.needTokenBody`)}</p>
      <form
        className="grid gap-3"
        onSubmit={(event) => {
          event.preventDefault()
          if (value.trim()) onToken(value.trim())
        }}
      >
        <label className="grid gap-1 text-lg font-semibold">
          {t(`${keys}.tokenLabel`)}
          <input
            type="password"
            dir="ltr"
            autoComplete="off"
            value={value}
            onChange={(event) => setValue(event.target.value)}
            className="min-h-12 w-full min-w-0 rounded-lg border-2 border-stone-500 bg-white px-3 font-mono text-base font-normal"
          />
        </label>
        <Button type="submit" disabled={!value.trim()}>
          {t(`${keys}.tokenSubmit`)}
        </Button>
      </form>
    </section>
  )
}
