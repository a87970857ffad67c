// The hour axis of the staff pages' charts (components/shared/HourBars.jsx).

/**
 * How many hours to add after and before a span of `span` hours ending at `last` (0–23) so the
 * axis shows at least `min`: the hours still to come today first, then earlier ones (an axis
 * never runs on past midnight only to be long enough).
 */
export function widen(span, last, min = 8) {
  const extra = Math.max(0, Math.min(24, min) - span)
  const after = Math.min(extra, 23 - last)
  return { after, before: extra - after }
}

/**
 * The hours an axis shows: from `first` to `last` (0–23, wrapping past midnight when `last`
 * is before `first`), widened to at least `min` hours (see `widen`).
 */
export function axisHours(first, last, min = 8) {
  const span = ((last - first + 24) % 24) + 1
  const { after, before } = widen(span, last, min)
  const start = (first - before + 24) % 24
  return Array.from({ length: Math.min(24, span + after + before) }, (_, i) => (start + i) % 24)
}
