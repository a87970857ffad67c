import { clockTime as formatClock } from './format.js'

// Durations from the server are relative to when they were sent (ETA.md): count them
// down with this device's clock from the moment they arrived.

/** Seconds left of `seconds` received at `receivedAt` (ms), at `now` (ms); never below 0. */
export function remaining(seconds, receivedAt, now) {
  if (seconds === null || seconds === undefined) return null
  const elapsed = receivedAt ? Math.max(0, (now - receivedAt) / 1000) : 0
  return Math.max(0, seconds - elapsed)
}

/** Whole minutes rounded up, at least 1 ("about 1 min" rather than "about 0 min"). */
export function minutesUp(seconds) {
  return Math.max(1, Math.ceil(seconds / 60))
}

/** A wall-clock time for "showing what we knew at …": the staff pages' format (lib/format.js). */
export function clockTime(ms) {
  return formatClock(ms) ?? ''
}
