import { useCallback, useEffect, useState } from 'react'

/** Puts `text` on the clipboard; true when that worked. `field` holds the text, for the fallback. */
export async function copyText(text, field) {
  // The clipboard API exists only in secure contexts (https, localhost); the box is usually
  // reached over plain http on the LAN, where the old select-and-copy still works.
  try {
    if (globalThis.isSecureContext && globalThis.navigator?.clipboard?.writeText) {
      await globalThis.navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // fall back below
  }
  try {
    field?.focus()
    field?.select()
    return document.execCommand?.('copy') === true
  } catch {
    return false
  }
}

/**
 * A Copy button's state: returns [result, copy], where `copy(text, field)` sets `result` to
 * "copied" or "failed" (null before). With `clearMs`, "copied" goes away again after that long.
 */
export function useCopy(clearMs = null) {
  const [result, setResult] = useState(null)

  useEffect(() => {
    if (result !== 'copied' || !clearMs) return undefined
    const timer = setTimeout(() => setResult(null), clearMs)
    return () => clearTimeout(timer)
  }, [result, clearMs])

  const copy = useCallback(async (text, field) => setResult((await copyText(text, field)) ? 'copied' : 'failed'), [])
  return [result, copy]
}
