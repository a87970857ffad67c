export const COUNTER_MAX = 32

/** The counter name as the server will keep it, or null when it is not 1–32 characters. */
export function validCounter(draft) {
  const name = String(draft ?? '').trim()
  return name.length >= 1 && name.length <= COUNTER_MAX ? name : null
}
