import { render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import HostDashboard from '../../pages/HostDashboard.jsx'
import { hostPayload } from './hostDelta.js'
import { setLanguage } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { live, withFakeWebSocket } from '../../test/fakeWebSocket.js'
import { queue, routeFetch } from '../../test/fixtures.js'
import StorageBanner from './StorageBanner.jsx'

afterEach(() => setLanguage('en'))

describe('StorageBanner', () => {
  it('names the reason the box cannot save', () => {
    const { rerender } = render(<StorageBanner storage={{ ok: false, reason: 'disk_full' }} />)
    expect(screen.getByRole('alert')).toHaveTextContent('The box cannot save: disk full')
    expect(screen.getByRole('alert')).toHaveTextContent('nothing already saved is lost')
    rerender(<StorageBanner storage={{ ok: false, reason: 'read_only' }} />)
    expect(screen.getByRole('alert')).toHaveTextContent('The box cannot save: its database is read-only')
    rerender(<StorageBanner storage={{ ok: false, reason: 'something_new' }} />)
    expect(screen.getByRole('alert')).toHaveTextContent('The box cannot save: the disk reports errors')
  })

  it('shows nothing while the box saves, or when an older box does not say', () => {
    const { container, rerender } = render(<StorageBanner storage={{ ok: true, reason: null }} />)
    expect(container).toBeEmptyDOMElement()
    rerender(<StorageBanner storage={undefined} />)
    expect(container).toBeEmptyDOMElement()
  })

  it('speaks German', () => {
    setLanguage('de')
    render(<StorageBanner storage={{ ok: false, reason: 'disk_full' }} />)
    expect(screen.getByRole('alert')).toHaveTextContent('Die Box kann nicht speichern: Speicher voll')
  })
})

describe('the host dashboard when the box cannot save', () => {
  withFakeWebSocket(() => {
    vi.stubGlobal('fetch', vi.fn(routeFetch({ 'GET /api/queues/q-1/tickets': () => new Promise(() => {}) })))
    window.history.replaceState(null, '', '/host/q-1')
    localStorage.setItem('qode.host.q-1.token', 'host-token-0123456789abcdef')
  })

  it('carries storage in the payload only when the message has it', () => {
    const storage = { ok: false, reason: 'disk_full' }
    expect(hostPayload({ type: 'update', state: { id: 'q' }, tickets: [], storage }).storage).toEqual(storage)
    expect(hostPayload({ type: 'update', state: { id: 'q' }, tickets: [] })).not.toHaveProperty('storage')
  })

  it('shows the banner as soon as the live channel says so, and drops it when saving works again', () => {
    render(<HostDashboard queueId="q-1" />)
    const base = { state: queue(), tickets: [], clock: { trusted: true } }
    live({ type: 'snapshot', seq: 1, ...base, storage: { ok: true, reason: null } })
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Front desk')
    expect(screen.queryByText(/The box cannot save/)).not.toBeInTheDocument()
    live({ type: 'update', seq: 1, events: [], ...base, storage: { ok: false, reason: 'disk_full' } })
    expect(screen.getByRole('alert')).toHaveTextContent('The box cannot save: disk full')
    live({ type: 'update', seq: 1, events: [], ...base, storage: { ok: true, reason: null } })
    expect(screen.queryByText(/The box cannot save/)).not.toBeInTheDocument()
  })
})
