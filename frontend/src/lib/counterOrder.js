// Counters in the order people count them: "2" before "12", "Desk 3" before "Desk 3b" and
// "desk 4" beside "Desk 4". One order for the host pages, the TV, the day's figures and setup.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/** Compares two counter names (or any labels: service names, "Counter 2 · Ana"). */
export function compareNames(a, b) {
  return collator.compare(String(a ?? ''), String(b ?? ''))
}

/** Sorts items by `name(item)` in that order, into a new array. */
export function byCounterName(items, name = (item) => item.name) {
  return [...items].sort((a, b) => compareNames(name(a), name(b)))
}
