// The kiosks as the host sees them: each one's printer state, how serious it is, in what words.
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

// A printer's report as the server sends it (`devices[].printer`), plus the states the page
// derives: "disconnected" (a kiosk that had a printer and whose socket is closed now) and
// "none" (never reported a printer: a touch screen without a printer daemon).
export const PRINTER_STATES = new Set(['ready', 'paper_low', 'paper_out', 'offline', 'error', 'unchecked'])
const LEVEL = {
  ready: 'ok',
  unchecked: 'ok',
  none: 'ok',
  paper_low: 'warning',
  unknown: 'warning',
  paper_out: 'problem',
  offline: 'problem',
  error: 'problem',
  disconnected: 'problem',
  stopped: 'problem',
}
/**
 * One kiosk's state for the host: "stopped" (it exited over a setting that cannot work, such as
 * its GPIO pin, and said why in `error`), a printer state, "disconnected", "none" or "unknown".
 */
export function kioskState(device) {
  if (device?.error) return 'stopped'
  const printer = device?.printer ?? null
  // No printer ever reported: nothing to lose when its socket is closed (a touch screen does
  // not keep one open), so "not connected" would only be a false alarm.
  if (printer === null) return 'none'
  if (device.connected === false) return 'disconnected'
  return PRINTER_STATES.has(printer) ? printer : 'unknown'
}

export const kioskLevel = (state) => LEVEL[state] ?? 'warning'

/** Is there a kiosk that has reported a printer (so a reprint has somewhere to go)? */
export const hasPrinter = (devices) =>
  Array.isArray(devices) && devices.some((device) => device.kind === 'kiosk' && device.printer !== null && device.printer !== undefined)

/** The main line for a kiosk state, in the host's words. */
export const kioskStateText = (state) => t(`host.printer.${state}`)

/**
 * What to say aloud after the kiosks changed from `seen` (Map id → state, null at first):
 * every kiosk that now needs attention, or no longer does. Returns {seen, text}.
 */
export function kioskAnnouncement(seen, kiosks) {
  const next = new Map()
  const lines = []
  for (const kiosk of kiosks) {
    const state = kioskState(kiosk)
    next.set(kiosk.id, state)
    const before = seen?.get(kiosk.id)
    if (before === state) continue
    const level = kioskLevel(state)
    const wasTrouble = before !== undefined && kioskLevel(before) !== 'ok'
    if (level !== 'ok' || wasTrouble) lines.push(t('host.devices.announce', { name: kiosk.name, status: kioskStateText(state) }))
  }
  return { seen: next, text: lines.join(' ') }
}
