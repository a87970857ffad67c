// The host page opened over plain http on a box that refuses staff tokens there (QODE_STAFF_HTTPS):
// a clear message with this page's https address, whether the REST answer or the socket says so.
import { act, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { FakeWebSocket, withFakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch } from '../test/fixtures.js'
import HostDashboard from './HostDashboard.jsx'

const TLS = { staff_url: 'https://192.168.1.20:8443', public_url: 'http://192.168.1.20:8000', ca_url: '/ca.crt', staff_https: 'remote' }
const REFUSED = {
  status: 403,
  body: { error: { code: 'https_required', message: 'Staff tokens are refused over plain http here.', staff_url: TLS.staff_url } },
}
const pending = () => new Promise(() => {})

function renderHost(routes) {
  window.history.replaceState(null, '', '/host/q-1')
  localStorage.setItem('qode.host.q-1.token', 'host-token-0123456789abcdef')
  vi.stubGlobal(
    'fetch',
    vi.fn(
      routeFetch({
        'GET /api/queues/q-1': () => ({ body: queue() }),
        'GET /healthz': () => ({ body: { status: 'ok', version: '0.1.0', db: 'ok' } }),
        'GET /api/tls': () => ({ body: TLS }),
        ...routes,
      }),
    ),
  )
  return render(<HostDashboard queueId="q-1" />)
}

withFakeWebSocket()

describe('HostDashboard over plain http', () => {
  it('links the https address when the box answers 403 https_required', async () => {
    renderHost({ 'GET /api/queues/q-1/tickets': () => REFUSED })
    expect(await screen.findByText('Open the host page at the secure address')).toBeInTheDocument()
    expect(await screen.findByRole('link', { name: 'https://192.168.1.20:8443/host/q-1' })).toHaveAttribute(
      'href',
      'https://192.168.1.20:8443/host/q-1',
    )
  })

  it('stops and says so when the socket closes with 4426', async () => {
    renderHost({ 'GET /api/queues/q-1/tickets': pending })
    act(() => {
      FakeWebSocket.last().open()
      FakeWebSocket.last().drop(4426)
    })
    expect(await screen.findByText('Open the host page at the secure address')).toBeInTheDocument()
  })
})
