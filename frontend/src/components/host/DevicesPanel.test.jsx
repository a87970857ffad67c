import { render, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { hostPayload, mergeHost } from './hostDelta.js'
import DevicesPanel from './DevicesPanel.jsx'
import { kioskAnnouncement, kioskLevel, kioskState } from './kiosks.js'
import PrintBadge from './PrintBadge.jsx'

const kiosk = (overrides = {}) => ({
  id: 'k-1', kind: 'kiosk', name: 'Door kiosk', printer: 'ready', printer_detail: null, status_at: null, connected: true, ...overrides,
})

describe('kiosk states', () => {
  it('reads the printer, the socket and what was never reported', () => {
    expect(kioskState(kiosk())).toBe('ready')
    expect(kioskState(kiosk({ printer: 'paper_out' }))).toBe('paper_out')
    expect(kioskState(kiosk({ connected: false }))).toBe('disconnected')
    expect(kioskState(kiosk({ printer: null }))).toBe('none')
    expect(kioskState(kiosk({ printer: null, connected: false }))).toBe('none')
    // A state this page does not know yet (a newer box): a warning, in words, not a crash.
    expect(kioskState(kiosk({ printer: 'on_fire' }))).toBe('unknown')
    expect(kioskLevel('unknown')).toBe('warning')
    expect(['paper_out', 'offline', 'error', 'disconnected'].map(kioskLevel)).toEqual(['problem', 'problem', 'problem', 'problem'])
    // A kiosk that stopped over a setting (e.g. its GPIO pin) says so before anything else.
    expect(kioskState(kiosk({ error: 'QODE_KIOSK_BUTTON=gpio:99: …', connected: false }))).toBe('stopped')
    expect(kioskState(kiosk({ error: null }))).toBe('ready')
    expect(kioskLevel('stopped')).toBe('problem')
  })

  it('announces trouble and its end, and nothing else', () => {
    let step = kioskAnnouncement(null, [kiosk(), kiosk({ id: 'k-2', name: 'Lobby', printer: 'offline' })])
    expect(step.text).toBe('Lobby: Printer offline — check cable and power.')
    // A new kiosk that is fine, or a rename, is no news.
    step = kioskAnnouncement(step.seen, [kiosk({ name: 'Front door' }), kiosk({ id: 'k-2', name: 'Lobby', printer: 'offline' }), kiosk({ id: 'k-3' })])
    expect(step.text).toBe('')
    step = kioskAnnouncement(step.seen, [kiosk({ printer: 'unchecked' }), kiosk({ id: 'k-2', name: 'Lobby', printer: 'ready' })])
    expect(step.text).toBe('Lobby: Printer ready.')
  })
})

describe('hostPayload', () => {
  it('keeps devices when the message has them, and says nothing when it does not', () => {
    expect(hostPayload({ type: 'update', state: { id: 'q' }, tickets: [], devices: [kiosk()] }).devices).toEqual([kiosk()])
    expect(hostPayload({ type: 'update', state: { id: 'q' }, tickets: [] })).not.toHaveProperty('devices')
  })
})

describe('DevicesPanel', () => {
  it('renders nothing visible without kiosks or print trouble, but keeps its live region', () => {
    render(<DevicesPanel devices={undefined} tickets={[]} now={Date.now()} busy={new Set()} onReprint={() => {}} />)
    expect(screen.queryByRole('heading')).not.toBeInTheDocument()
    expect(screen.getByTestId('kiosk-announcer')).toBeInTheDocument()
  })

  it('lists a ticket that was not printed even when the kiosk list is unknown', () => {
    const tickets = [
      { id: 't-1', display_number: 'A1', position_number: 1, status: 'WAITING', print_status: 'failed' },
      { id: 't-2', display_number: 'A2', position_number: 2, status: 'COMPLETED', print_status: 'failed' },
    ]
    render(<DevicesPanel devices={undefined} tickets={tickets} now={Date.now()} busy={new Set()} onReprint={() => {}} />)
    const region = screen.getByRole('region', { name: 'Kiosks & printers' })
    expect(within(region).getByRole('button', { name: 'Reprint: A1' })).toBeInTheDocument()
    // A ticket that has ended is not printed again.
    expect(within(region).queryByText('A2')).not.toBeInTheDocument()
  })
})

describe('a stopped kiosk', () => {
  it("shows the kiosk's own line on its card", () => {
    const line = "QODE_KIOSK_BUTTON=gpio:17: this box has no GPIO chip (/dev/gpiochip* does not exist): use a Raspberry Pi, or set it to none"
    render(<DevicesPanel devices={[kiosk({ error: line, connected: false })]} tickets={[]} now={Date.now()} busy={new Set()} onReprint={() => {}} />)
    const card = screen.getByTestId('kiosk-k-1')
    expect(within(card).getByText('Kiosk stopped — fix its settings, then restart it')).toBeInTheDocument()
    expect(within(card).getByText(line)).toBeInTheDocument()
    expect(card.dataset.level).toBe('problem')
  })
})

describe('PrintBadge', () => {
  it('says "Not printed" or "Printing…", and nothing for printed tickets', () => {
    const { rerender, container } = render(<PrintBadge status="failed" />)
    expect(screen.getByText('Not printed')).toBeInTheDocument()
    rerender(<PrintBadge status="pending" />)
    expect(screen.getByText('Printing…')).toBeInTheDocument()
    rerender(<PrintBadge status="printed" />)
    expect(container).toBeEmptyDOMElement()
    rerender(<PrintBadge status={null} />)
    expect(container).toBeEmptyDOMElement()
  })
})

describe('a device removed in setup', () => {
  it('reaches the host as a notice, once per device, and the kiosk leaves the list', () => {
    const revoked = { seq: 9, type: 'device_revoked', ticket_id: null, ticket_number: null, data: { device_id: 'k-1', kind: 'kiosk', name: 'Door kiosk' } }
    let state = mergeHost({ devices: [kiosk()] }, hostPayload({ type: 'update', state: {}, events: [revoked], devices: [] }))
    state = mergeHost(state, hostPayload({ type: 'update', state: {}, events: [revoked], devices: [] })) // a replay: said once
    expect(state.revoked).toEqual([{ device_id: 'k-1', kind: 'kiosk', name: 'Door kiosk' }])
    render(<DevicesPanel devices={state.devices} revoked={state.revoked} tickets={[]} now={Date.now()} busy={new Set()} onReprint={() => {}} />)
    expect(screen.getByTestId('revoked-devices')).toHaveTextContent('Kiosk “Door kiosk” was removed: its link no longer works.')
    expect(screen.queryByTestId('kiosk-k-1')).not.toBeInTheDocument()
  })
})
