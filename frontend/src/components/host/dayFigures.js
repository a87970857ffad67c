// GET /api/stats's answer as the host reads it: one card per service, one per counter and staff
// name (a counter's rows of several services summed, its means weighted by their counts).
import { t } from '../../lib/strings.js'
import { compareNames } from '../../lib/counterOrder.js'
import '../../lib/strings.host.js'

const SUMMED = ['served', 'no_shows', 'waited_count', 'waited_seconds', 'served_time_count', 'served_time_seconds']
const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : 0)
const byName = (a, b) => compareNames(a.name, b.name)

function counterName(counter, staff) {
  if (!counter) return staff ? `${t('host.figures.noCounter')} · ${staff}` : t('host.figures.noCounter')
  return staff ? t('host.figures.counterStaff', { counter, staff }) : t('host.atCounter', { counter })
}

/**
 * `{serviceItems, counterItems}`, each `[{key, name, row}]` sorted by name; only the service
 * `queueId` when given. A counter's `row` has the summed counts and the mean wait and service
 * time (seconds, null without any). Rows with no counter that count nobody (a transfer into a
 * service, a waiting guest sent on) make no counter card.
 */
export function figureGroups(data, queueId = null) {
  const mine = (row) => row && typeof row === 'object' && (!queueId || row.queue_id === queueId)
  const serviceItems = (Array.isArray(data?.services) ? data.services : [])
    .filter(mine)
    .map((row) => ({ key: row.queue_id, name: row.service || row.queue_id, row }))
    .sort(byName)
  const groups = new Map()
  for (const row of Array.isArray(data?.rows) ? data.rows : []) {
    if (!mine(row)) continue
    const counter = row.counter || null
    if (!counter && !row.counter_id && !(num(row.served) + num(row.no_shows) + num(row.waited_count))) continue
    const key = `${row.counter_id || `name:${counter ?? ''}`}|${row.staff ?? ''}`
    let group = groups.get(key)
    if (!group) {
      group = { key, name: counterName(counter, row.staff), row: Object.fromEntries(SUMMED.map((name) => [name, 0])) }
      groups.set(key, group)
    }
    for (const name of SUMMED) group.row[name] += num(row[name])
  }
  const counterItems = [...groups.values()].sort(byName)
  for (const { row } of counterItems) {
    row.waited_mean_seconds = row.waited_count ? row.waited_seconds / row.waited_count : null
    row.served_time_mean_seconds = row.served_time_count ? row.served_time_seconds / row.served_time_count : null
  }
  return { serviceItems, counterItems }
}
