import { strings, t } from '../../lib/strings.js'

/** A language's name in itself ("Deutsch", "Français"), for a button a speaker can find. */
function languageName(code) {
  try {
    const name = new Intl.DisplayNames([code], { type: 'language' }).of(code)
    if (name && name !== code) return name.charAt(0).toLocaleUpperCase(code) + name.slice(1)
  } catch {
    // a runtime without the language's data: its code is better than nothing
  }
  return code.toUpperCase()
}

/** One button per language of the dictionary, each named in its own language; the chosen one is
 *  pressed. `compact`: narrower buttons, so the eight fit one row of a 1024 px screen. */
export default function LanguageChoice({ current, onChoose, compact = false }) {
  const codes = Object.keys(strings)
  if (codes.length < 2) return null
  return (
    <div role="group" aria-label={t('kiosk.language')} className="flex flex-wrap justify-center gap-2">
      {codes.map((code) => (
        <button
          key={code}
          type="button"
          lang={code}
          aria-pressed={code === current}
          onClick={() => onChoose(code)}
          className={`min-h-14 min-w-14 rounded-full border-2 border-stone-700 bg-white py-2 font-semibold ${compact ? 'px-4 text-lg' : 'px-5 text-xl'} text-stone-900 hover:bg-stone-100 aria-pressed:border-blue-800 aria-pressed:bg-blue-800 aria-pressed:text-white focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700`}
        >
          {languageName(code)}
        </button>
      ))}
    </div>
  )
}
