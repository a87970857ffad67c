import { render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import HostDashboard from '../../pages/HostDashboard.jsx'
import { hostPayload } from './hostDelta.js'
import { setLanguage } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { FakeWebSocket, live } from '../../test/fakeWebSocket.js'
import { queue, routeFetch } from '../../test/fixtures.js'
import SyncStatus from './SyncStatus.jsx'

const NOW = Date.parse('2026-11-26T16:45:00.000Z')
const minutesAgo = (minutes) => new Date(NOW - minutes * 60000).toISOString()
const sync = (overrides = {}) => ({
  enabled: true, pending: 0, acked_seq: 120, latest_seq: 120, last_success: minutesAgo(5), last_error: null, ...overrides,
})

afterEach(() => setLanguage('en'))

describe('SyncStatus', () => {
  it('says the hub is up to date, and when the box last sent', () => {
    render(<SyncStatus sync={sync()} now={NOW} />)
    expect(screen.getByTestId('sync-status')).toHaveTextContent('Hub: up to date · last sent 5 min ago')
    expect(screen.queryByText(/not reachable/)).not.toBeInTheDocument()
  })

  it('counts the events still to send', () => {
    const { rerender } = render(<SyncStatus sync={sync({ pending: 123, last_success: minutesAgo(0.2) })} now={NOW} />)
    expect(screen.getByTestId('sync-status')).toHaveTextContent('Hub: 123 events waiting to be sent · last sent just now')
    rerender(<SyncStatus sync={sync({ pending: 1, last_success: minutesAgo(150) })} now={NOW} />)
    expect(screen.getByTestId('sync-status')).toHaveTextContent('Hub: 1 event waiting to be sent · last sent 2 h ago')
    rerender(<SyncStatus sync={sync({ pending: 7, last_success: null })} now={NOW} />)
    expect(screen.getByTestId('sync-status')).toHaveTextContent('Hub: 7 events waiting to be sent · nothing sent yet')
  })

  it('names the error calmly: the box works without the hub', () => {
    render(<SyncStatus sync={sync({ pending: 40, last_error: 'connection refused' })} now={NOW} />)
    expect(screen.getByText(/^Hub not reachable: connection refused/)).toHaveTextContent(
      'The queue works as usual; the box sends the rest when the hub answers.',
    )
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
  })

  it('shows nothing when sync is off or the box does not say (an older box)', () => {
    const { container, rerender } = render(<SyncStatus sync={sync({ enabled: false, last_error: 'x' })} now={NOW} />)
    expect(container).toBeEmptyDOMElement()
    rerender(<SyncStatus sync={undefined} now={NOW} />)
    expect(container).toBeEmptyDOMElement()
    rerender(<SyncStatus sync={null} now={NOW} />)
    expect(container).toBeEmptyDOMElement()
  })

  it('speaks German', () => {
    setLanguage('de')
    const { rerender } = render(<SyncStatus sync={sync({ pending: 3, last_error: 'timeout' })} now={NOW} />)
    expect(screen.getByTestId('sync-status')).toHaveTextContent('Zentrale: 3 Ereignisse warten auf den Versand · zuletzt gesendet vor 5 Min.')
    expect(screen.getByText(/^Zentrale nicht erreichbar: timeout/)).toBeInTheDocument()
    rerender(<SyncStatus sync={sync()} now={NOW} />)
    expect(screen.getByTestId('sync-status')).toHaveTextContent('Zentrale: auf dem neuesten Stand')
  })
})

describe('the host dashboard with sync', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.stubGlobal('WebSocket', FakeWebSocket)
    vi.stubGlobal('fetch', vi.fn(routeFetch({ 'GET /api/queues/q-1/tickets': () => new Promise(() => {}) })))
    window.history.replaceState(null, '', '/host/q-1')
    localStorage.setItem('qode.host.q-1.token', 'host-token-0123456789abcdef')
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    window.history.replaceState(null, '', '/')
  })

  it('carries sync in the payload only when the message has it', () => {
    expect(hostPayload({ type: 'update', state: { id: 'q' }, tickets: [], sync: sync() }).sync).toEqual(sync())
    expect(hostPayload({ type: 'update', state: { id: 'q' }, tickets: [] })).not.toHaveProperty('sync')
  })

  it('shows the line from the snapshot and follows updates; nothing from an older box', () => {
    render(<HostDashboard queueId="q-1" />)
    const base = { state: queue(), tickets: [], clock: { trusted: true } }
    live({ type: 'snapshot', seq: 1, ...base })
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Front desk')
    expect(screen.queryByTestId('sync-status')).not.toBeInTheDocument()

    live({ type: 'update', seq: 2, ...base, sync: sync({ pending: 12, last_success: new Date().toISOString() }) })
    expect(screen.getByTestId('sync-status')).toHaveTextContent('Hub: 12 events waiting to be sent · last sent just now')
    live({ type: 'update', seq: 3, ...base, sync: sync({ pending: 0, last_success: new Date().toISOString() }) })
    expect(screen.getByTestId('sync-status')).toHaveTextContent('Hub: up to date')
    live({ type: 'update', seq: 4, ...base, sync: { ...sync(), enabled: false } })
    expect(screen.queryByTestId('sync-status')).not.toBeInTheDocument()
  })
})
