import { useEffect, useState } from 'react'
import { longestWordEm } from '../lib/textWidth.js'

/**
 * A service's name shown large ("Staatsangehörigkeitsangelegenheiten" on a 360 px phone or a
 * kiosk button): wraps between words, and its font size is at most `--fit-max` (set it with a
 * class, e.g. `[--fit-max:2.25rem] sm:[--fit-max:3.75rem]`) and at most what fits its longest word
 * into the width of the nearest `[container-type:inline-size]` ancestor less `--fit-inset` (the
 * padding and borders between them), so no word is broken in the middle. Never under 0.625rem (a
 * longer word, or one at 200 % text, may still break: wrap-anywhere).
 * Measured again once the page's fonts have loaded: a fallback font measures narrower.
 */
export default function FitWords({ as: Tag = 'span', text, weight = 700, className = '', style, ...rest }) {
  useFontsLoaded()
  const ems = longestWordEm(text, weight).toFixed(3)
  return (
    <Tag {...rest} className={`fit-words wrap-anywhere ${className}`} style={{ ...style, '--word-ems': ems }}>
      {text}
    </Tag>
  )
}

/** Renders again each time the document's fonts finish loading. */
function useFontsLoaded() {
  const [, setLoads] = useState(0)
  useEffect(() => {
    const fonts = globalThis.document?.fonts
    if (!fonts) return undefined
    let live = true
    const again = () => {
      if (live) setLoads((n) => n + 1)
    }
    fonts.ready?.then(again, () => {})
    fonts.addEventListener?.('loadingdone', again)
    return () => {
      live = false
      fonts.removeEventListener?.('loadingdone', again)
    }
  }, [])
}
