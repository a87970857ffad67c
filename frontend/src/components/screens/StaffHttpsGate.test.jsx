// A staff page opened over plain http from the Wi-Fi on a box that wants https: it moves to the
// box's https address (token in the fragment) before anything carries the token over http.
import { render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { FakeWebSocket, withFakeWebSocket } from '../../test/fakeWebSocket.js'
import { queue, routeFetch } from '../../test/fixtures.js'
import { DESK_TOKEN_KEY, tokenKey } from '../../lib/hostApi.js'
import { HUB_TOKEN_KEY } from '../../lib/hubApi.js'
import { ADMIN_TOKEN_KEY, kioskTokenKey } from '../../lib/screensApi.js'
import HostDashboard from '../../pages/HostDashboard.jsx'
import SetupView from '../../pages/SetupView.jsx'
import StaffHttpsGate from './StaffHttpsGate.jsx'
import { isLoopback, secureUrl, staffTokenKey } from './staffHttps.js'

const STAFF = 'https://192.168.1.20:8443'
const HOST_TOKEN = 'host-token-0123456789abcdef'
const tls = (mode, staff = STAFF) => ({ staff_url: staff, public_url: 'http://192.168.1.20:8000', ca_url: '/ca.crt', staff_https: mode })

function place(href) {
  const url = new URL(href)
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    host: url.host,
    origin: url.origin,
    pathname: url.pathname,
    search: url.search,
    hash: url.hash,
    replace: vi.fn(),
  }
}

/** Every fetch answered from `routes`; the calls are kept to check their headers. */
function stubFetch(routes) {
  const fetchMock = vi.fn(
    routeFetch({
      'GET /api/queues/q-1': () => ({ body: queue() }),
      'GET /api/queues/q-1/tickets': () => ({ body: { tickets: [] } }),
      'GET /api/queues/q-1/devices': () => ({ body: { devices: [] } }),
      'GET /api/queues': () => ({ body: { queues: [] } }),
      'GET /healthz': () => ({ body: { status: 'ok', version: '0.1.0', db: 'ok' } }),
      ...routes,
    }),
  )
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

const withToken = (fetchMock) =>
  fetchMock.mock.calls.filter(([, init]) => {
    const headers = new Headers(init?.headers ?? {})
    return headers.has('Authorization')
  })

function renderHost(location, { stored = HOST_TOKEN } = {}) {
  if (stored) localStorage.setItem(tokenKey('q-1'), stored)
  return render(
    <StaffHttpsGate tokenKey={staffTokenKey({ page: 'host', queueId: 'q-1' })} location={location}>
      <HostDashboard queueId="q-1" />
    </StaffHttpsGate>,
  )
}

withFakeWebSocket()

describe('StaffHttpsGate', () => {
  it('moves a host page on plain http to the https address, with the stored token, before any token is sent', async () => {
    const fetchMock = stubFetch({ 'GET /api/tls': () => ({ body: tls('remote') }) })
    const location = place('http://192.168.1.20:8000/host/q-1')
    renderHost(location)
    await waitFor(() => expect(location.replace).toHaveBeenCalledTimes(1))
    expect(location.replace).toHaveBeenCalledWith(`${STAFF}/host/q-1#token=${HOST_TOKEN}`)
    expect(await screen.findByText('Opening this page at the box’s secure (https) address…')).toBeInTheDocument()
    expect(fetchMock.mock.calls.map(([url]) => url)).toEqual(['/api/tls'])
    expect(withToken(fetchMock)).toEqual([])
    expect(FakeWebSocket.instances).toHaveLength(0) // no socket, so no auth message either
  })

  it('carries a link token from the fragment (other fragment parameters kept) in strict mode too', async () => {
    const fetchMock = stubFetch({ 'GET /api/tls': () => ({ body: tls('all') }) })
    const location = place('http://qode-box.local:8000/setup?x=1#lang=de&token=admin-token-0123456789')
    window.history.replaceState(null, '', '/setup?x=1#lang=de&token=admin-token-0123456789') // what the page would read
    render(
      <StaffHttpsGate tokenKey={ADMIN_TOKEN_KEY} location={location}>
        <SetupView />
      </StaffHttpsGate>,
    )
    await waitFor(() => expect(location.replace).toHaveBeenCalled())
    expect(location.replace).toHaveBeenCalledWith(`${STAFF}/setup?x=1#lang=de&token=admin-token-0123456789`)
    expect(withToken(fetchMock)).toEqual([])
    expect(localStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull() // not even kept on the plain-http origin
  })

  it.each(['127.0.0.1', '127.3.2.1', 'localhost', '[::1]'])('leaves the box itself (%s) on plain http alone', async (host) => {
    const fetchMock = stubFetch({ 'GET /api/tls': () => ({ body: tls('remote') }) })
    const location = place(`http://${host}:8000/host/q-1`)
    renderHost(location)
    expect(await screen.findByText('Front desk')).toBeInTheDocument()
    expect(fetchMock.mock.calls.some(([url]) => url === '/api/tls')).toBe(false)
    expect(location.replace).not.toHaveBeenCalled()
    expect(withToken(fetchMock).length).toBeGreaterThan(0) // the page works as before
  })

  it('goes on as before when the box accepts staff tokens over http (QODE_STAFF_HTTPS=off)', async () => {
    const fetchMock = stubFetch({ 'GET /api/tls': () => ({ body: tls('off') }) })
    const location = place('http://192.168.1.20:8000/host/q-1')
    renderHost(location)
    expect(await screen.findByText('Front desk')).toBeInTheDocument()
    expect(location.replace).not.toHaveBeenCalled()
    expect(fetchMock.mock.calls[0][0]).toBe('/api/tls') // asked first, without the token
    expect(withToken(fetchMock).length).toBeGreaterThan(0)
  })

  it('goes on as before when /api/tls cannot be reached (an older box, or none)', async () => {
    stubFetch({ 'GET /api/tls': () => Promise.reject(new TypeError('Failed to fetch')) })
    const location = place('http://192.168.1.20:8000/host/q-1')
    renderHost(location)
    expect(await screen.findByText('Front desk')).toBeInTheDocument()
    expect(location.replace).not.toHaveBeenCalled()
  })

  it('does not ask over https', async () => {
    const fetchMock = stubFetch({ 'GET /api/tls': () => ({ body: tls('remote') }) })
    const location = place(`${STAFF}/host/q-1`)
    renderHost(location)
    expect(await screen.findByText('Front desk')).toBeInTheDocument()
    expect(fetchMock.mock.calls.some(([url]) => url === '/api/tls')).toBe(false)
  })

  it('sends no token and says why when the box refuses plain http but has no https address', async () => {
    const fetchMock = stubFetch({ 'GET /api/tls': () => ({ body: tls('remote', 'http://192.168.1.20:8000') }) })
    const location = place('http://192.168.1.20:8000/host/q-1')
    renderHost(location)
    expect(await screen.findByText('This page needs the box’s secure address')).toBeInTheDocument()
    expect(location.replace).not.toHaveBeenCalled()
    expect(withToken(fetchMock)).toEqual([])
    expect(FakeWebSocket.instances).toHaveLength(0)
  })

  it('knows each staff page’s token key, and which addresses are the box itself', () => {
    expect(staffTokenKey({ page: 'host', queueId: 'q-1' })).toBe(tokenKey('q-1'))
    expect(staffTokenKey({ page: 'host', queueId: null })).toBe(DESK_TOKEN_KEY)
    expect(staffTokenKey({ page: 'kiosk', queueId: 'q-1' })).toBe(kioskTokenKey('q-1'))
    expect(staffTokenKey({ page: 'setup' })).toBe(ADMIN_TOKEN_KEY)
    expect(staffTokenKey({ page: 'hub' })).toBe(HUB_TOKEN_KEY)
    expect(staffTokenKey({ page: 'display', queueId: 'q-1' })).toBeNull()
    expect(isLoopback('127.0.0.1')).toBe(true)
    expect(isLoopback('127.255.1.9')).toBe(true)
    expect(isLoopback('[::1]')).toBe(true)
    expect(isLoopback('128.0.0.1')).toBe(false)
    expect(isLoopback('127.0.0.1.evil.example')).toBe(false)
    expect(isLoopback('192.168.1.20')).toBe(false)
    expect(secureUrl(`${STAFF}/`, place('http://b:8000/kiosk/q%201'), 'tok')).toBe(`${STAFF}/kiosk/q%201#token=tok`)
    expect(secureUrl(STAFF, place('http://b:8000/setup'), null)).toBe(`${STAFF}/setup`)
  })
})
