import { useId } from 'react'
import { nativeName } from '../lib/guestLanguage.js'
import { strings, t } from '../lib/strings.js'

/** The guest's compact language menu: every language the app has, each named in itself. */
export default function LanguageSwitch({ value, onChange }) {
  const id = useId()
  return (
    <div className="flex items-center justify-end gap-2">
      <label htmlFor={id} className="flex items-center gap-1 text-base text-stone-700">
        <svg aria-hidden="true" viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="2">
          <circle cx="12" cy="12" r="9" />
          <path d="M3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9c-2.5-2.6-3.8-5.6-3.8-9S9.5 5.6 12 3z" />
        </svg>
        <span className="sr-only">{t('language.label')}</span>
      </label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        data-testid="language-switch"
        className="min-h-11 max-w-[12rem] rounded-lg border-2 border-stone-700 bg-white px-2 text-base font-semibold text-stone-900 focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700"
      >
        {Object.keys(strings).map((lang) => (
          <option key={lang} value={lang} lang={lang}>
            {nativeName(lang)}
          </option>
        ))}
      </select>
    </div>
  )
}
