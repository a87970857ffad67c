// How wide a text is, in em: estimated on the safe side, or measured on a canvas in the page's font.

/**
 * The width of `text` in em, on the safe side for the box's bold sans (DejaVu Sans Bold, the
 * widest of the usual ones: digits 0.70 em, M 1.00, W 1.10). The TV sizes each number and
 * counter label from it so that the longest (a 4-character prefix, "WWMM1234") still fits one line.
 */
export function textWidthEm(text) {
  let width = 0
  for (const ch of String(text ?? '')) {
    if (/[0-9]/.test(ch)) width += 0.72
    else if (ch === ' ') width += 0.36
    else if (/[MWmw@]/.test(ch)) width += 1.15
    else if (/[A-Z]/.test(ch)) width += 0.9
    else if (/[a-z]/.test(ch)) width += 0.75
    else width += 1.2 // anything else, wide script included
  }
  return Math.max(width, 1)
}

let context // one canvas for every measurement; null where there is none (jsdom)

/**
 * The width of `text` in em as this browser draws it in the page's font at `weight`, measured on a
 * canvas (the same font engine as the page), or null where it cannot measure.
 */
export function measureEm(text, weight) {
  if (context === undefined) {
    const canvas = typeof document === 'undefined' || /jsdom/i.test(globalThis.navigator?.userAgent ?? '') ? null : document.createElement('canvas')
    context = canvas?.getContext?.('2d') ?? null
    // A font that arrives later measures otherwise: forget what was measured before it.
    globalThis.document?.fonts?.addEventListener?.('loadingdone', () => measured.clear())
  }
  if (!context || !text) return null
  const family = getComputedStyle(document.body).fontFamily || 'sans-serif'
  // The TV and the kiosks draw every second: each text is measured once, not on every tick (a Pi).
  const key = `${weight}|${family}|${text}`
  if (measured.has(key)) return measured.get(key)
  context.font = `${weight} 100px ${family}`
  const width = context.measureText(String(text)).width
  const em = Number.isFinite(width) && width > 0 ? width / 100 : null
  if (measured.size >= MEASURED_MAX) measured.clear() // bounded: names change rarely
  measured.set(key, em)
  return em
}

const measured = new Map()
const MEASURED_MAX = 2000

/**
 * The width in em to size `text` by: measured, with 8 % to spare (tabular digits, rounding), or
 * the safe estimate where nothing can measure. Never more than the estimate: a font that
 * measures wider than DejaVu Sans Bold is a measuring error, not a reason to shrink.
 */
export function fitWidthEm(text, weight, measure = measureEm) {
  const estimate = textWidthEm(text)
  const measured = measure(text, weight)
  return measured === null ? estimate : Math.max(1, Math.min(estimate, measured * 1.08))
}

/**
 * The width in em of the widest word of `text` (at least 1): what a name must fit in its box's
 * width so that it wraps between words and never inside one (components/FitWords.jsx).
 */
export function longestWordEm(text, weight, measure = measureEm) {
  const words = String(text ?? '').split(/\s+/).filter(Boolean)
  return Math.max(1, ...words.map((word) => fitWidthEm(word, weight, measure)))
}
