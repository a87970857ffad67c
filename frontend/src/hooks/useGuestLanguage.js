import { useCallback, useState } from 'react'
import { applyLanguage, enterLanguage, rememberLanguage } from '../lib/guestLanguage.js'

/**
 * The language of a guest page whose choice is stored under `scope` (ticketScope/joinScope):
 * applied before the first render, so a reload shows the chosen language at once. Returns
 * [language, choose]; choose(lang) remembers it for this scope and re-renders the page.
 */
export function useGuestLanguage(scope) {
  const [lang, setLang] = useState(() => enterLanguage(scope))
  const choose = useCallback(
    (next) => {
      rememberLanguage(scope, next)
      setLang(applyLanguage(next))
    },
    [scope],
  )
  return [lang, choose]
}
