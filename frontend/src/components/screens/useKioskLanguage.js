// The touch kiosk's language (/kiosk/{queue_id} and /kiosk): one guest's choice at a time.
import { useEffect, useLayoutEffect, useState } from 'react'
import { getDirection, getLanguage, setLanguage } from '../../lib/strings.js'

/**
 * This guest's language: the one chosen on the start screen, else the venue's (or the browser's).
 * Applied while rendering (t() reads it) and to the document (lang, dir) for assistive technology,
 * in the same commit as the text, so a screen reader never reads German words with English rules.
 */
export function useKioskLanguage(venueLanguage) {
  const [browser] = useState(getLanguage)
  const [chosen, setChosen] = useState(null)
  const language = setLanguage(chosen ?? venueLanguage ?? browser)
  useLayoutEffect(() => {
    document.documentElement.lang = language
    document.documentElement.dir = getDirection(language)
  }, [language])
  useEffect(() => () => setLanguage(browser), [browser])
  return [language, setChosen, chosen !== null]
}
