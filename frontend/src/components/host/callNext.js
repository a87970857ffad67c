// One active ticket per counter (issue 14): "Call next" first ends what the host's counter holds,
// a guest being served as done and a called one as a no-show. The button says so before the
// press, and the notice after it, from the answer's `ended`.
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

const ACTIVE = new Set(['CALLED', 'SERVING'])
// A ticket called with no counter is at counter 1, where the box sends such a call.
const DEFAULT_COUNTER = '1'

/** The called and serving tickets at `counter`, in number order. */
export function heldAt(tickets, counter) {
  if (!counter) return []
  return (tickets ?? [])
    .filter((ticket) => ACTIVE.has(ticket.status) && (ticket.counter ?? DEFAULT_COUNTER) === counter)
    .sort((a, b) => a.position_number - b.position_number)
}

/** The call button's words: what a press does to the counter's current ticket, then calls. */
export function callLabel(held, waitingCount) {
  // Nobody waiting: the box calls nobody and ends nothing.
  if (!held?.length || !waitingCount) return t('host.callNext')
  if (held.length > 1) return t('host.callNext.endMany', { numbers: held.map((x) => x.display_number).join(', ') })
  const [ticket] = held
  return t(ticket.status === 'SERVING' ? 'host.callNext.complete' : 'host.callNext.noShow', { number: ticket.display_number })
}

/** Sentences for what a call ended ("A003 was marked as a no-show."), from the answer's `ended`. */
export function endedSentences(ended) {
  return (ended ?? []).map((x) => t(x.status === 'COMPLETED' ? 'host.done.complete' : 'host.done.no-show', { number: x.display_number }))
}
