// The hour axis of the staff pages' charts (components/shared/HourBars.jsx).

/**
 * The hours an axis shows: from `first` to `last` (0–23, wrapping past midnight), widened to
 * at least `min` hours by adding the hours that follow (the rest of the day is still to come).
 */
export function axisHours(first, last, min = 8) {
  const span = ((last - first + 24) % 24) + 1
  const length = Math.min(24, Math.max(span, min))
  return Array.from({ length }, (_, i) => (first + i) % 24)
}
