// Issue 16: a registered display (its link's #token=…) follows the host's voice switch and plays
// the host's voice test, heard on its own device channel (/ws/devices/{id}).
import { act, render, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { fakeAudio, queue, routeFetch } from '../test/fixtures.js'
import DisplayServices from './DisplayServices.jsx'
import DisplayView from './DisplayView.jsx'
import { useTvVoice } from '../components/screens/useDisplayControl.js'

const call = (seq, number, counter) => ({ seq, type: 'call', number, counter })
const active = (seq, number, counter) => ({ seq, number, counter })

const wait = (ms) => act(() => new Promise((resolve) => setTimeout(resolve, ms)))

function renderRegistered({ voice = true, search = '' } = {}) {
  window.history.replaceState(null, '', '/display/q-1#token=tv-secret')
  const seen = []
  vi.stubGlobal(
    'fetch',
    vi.fn(
      routeFetch({
        'GET /api/queues/q-1': () => new Promise(() => {}),
        'GET /api/device': (init) => {
          seen.push(init.headers?.Authorization ?? init.headers?.authorization)
          return { body: { id: 'tv-1', kind: 'display', name: 'Hall TV', voice, queue_id: 'q-1', services: [] } }
        },
        'GET /api/voice/sample': () => new Response('RIFF', { status: 200, headers: { 'Content-Type': 'audio/wav' } }),
      }),
    ),
  )
  const chime = vi.fn(() => true)
  const { made, makeAudio } = fakeAudio()
  render(<DisplayView queueId="q-1" chime={chime} reload={vi.fn()} search={search} makeAudio={makeAudio} />)
  return { chime, made, seen }
}

const socket = (pattern) => FakeWebSocket.instances.find((ws) => pattern.test(ws.url))
// The token is checked (may it be sent from here?), then GET /api/device, then the socket.
const deviceSocketOpened = () => waitFor(() => expect(socket(/\/ws\/devices\//)).toBeTruthy())

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
  vi.stubGlobal('URL', Object.assign(globalThis.URL, { createObjectURL: vi.fn(() => 'blob:sample-1'), revokeObjectURL: vi.fn() }))
})
afterEach(() => {
  vi.unstubAllGlobals()
  delete document.documentElement.dataset.voiceSwitch
  delete document.documentElement.dataset.voiceControl
  window.history.replaceState(null, '', '/')
  localStorage.clear()
})

describe('DisplayView of a registered display (issue 16)', () => {
  it('takes the token off the address, opens its device channel with it and follows the host’s switch', async () => {
    const { chime, made, seen } = renderRegistered()
    expect(window.location.hash).toBe('')
    await deviceSocketOpened()
    expect(seen).toEqual(['Bearer tv-secret'])
    const device = socket(/\/ws\/devices\/tv-1$/)
    const feed = socket(/\/ws\/queues\/q-1$/)
    expect(device).toBeTruthy()
    act(() => {
      device.open()
      feed.open()
    })
    expect(device.sent[0]).toEqual({ type: 'auth', token: 'tv-secret' })
    act(() => {
      device.receive({ type: 'snapshot', seq: 7, state: queue(), device: { id: 'tv-1', kind: 'display', name: 'Hall TV', voice: true }, jobs: [] })
      feed.receive({ type: 'snapshot', seq: 7, state: queue({ calls: [] }), recent: [] })
    })
    expect(document.documentElement.dataset.voiceSwitch).toBe('on')

    // the host turns it off: the next call is the chime alone
    act(() => device.receive({ type: 'device', device: { id: 'tv-1', kind: 'display', name: 'Hall TV', voice: false } }))
    expect(document.documentElement.dataset.voiceSwitch).toBe('off')
    act(() => feed.receive({ type: 'update', seq: 8, events: [call(8, 'A1', '1')], state: queue({ calls: [active(8, 'A1', '1')] }) }))
    await wait(1200)
    expect(chime).toHaveBeenCalledTimes(1)
    expect(made).toEqual([])

    // and on again: the next call is said
    act(() => device.receive({ type: 'device', device: { id: 'tv-1', kind: 'display', name: 'Hall TV', voice: true } }))
    act(() => feed.receive({ type: 'update', seq: 9, events: [call(9, 'A2', '2')], state: queue({ calls: [active(9, 'A2', '2')] }) }))
    await wait(1200)
    expect(made.map((a) => a.url)).toEqual(['/api/queues/q-1/calls/9/voice'])
  })

  it('the host’s switch wins over the link’s ?voice=off, and starts from what GET /api/device says', async () => {
    const { made } = renderRegistered({ voice: false, search: '?voice=off' })
    await deviceSocketOpened()
    expect(document.documentElement.dataset.voiceSwitch).toBe('off')
    const device = socket(/\/ws\/devices\/tv-1$/)
    act(() => device.open())
    act(() => device.receive({ type: 'snapshot', seq: 7, state: queue(), device: { id: 'tv-1', kind: 'display', name: 'Hall TV', voice: true }, jobs: [] }))
    expect(document.documentElement.dataset.voiceSwitch).toBe('on') // the link said off; the host says on
    expect(made).toEqual([])
  })

  it('plays the host’s voice test: the chime, then the sample fetched with its token, even with its voice off', async () => {
    const { chime, made } = renderRegistered({ voice: false })
    await deviceSocketOpened()
    const device = socket(/\/ws\/devices\/tv-1$/)
    act(() => device.open())
    act(() => device.receive({ type: 'voice_test' }))
    expect(chime).toHaveBeenCalledTimes(1)
    await wait(1200)
    expect(made.map((a) => a.url)).toEqual(['blob:sample-1'])
    const sample = fetch.mock.calls.find(([url]) => String(url).endsWith('/api/voice/sample'))
    expect(sample[1].headers.Authorization).toBe('Bearer tv-secret')
    await act(async () => made[0].end())
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:sample-1')
    expect(document.documentElement.dataset.voicePlayed).toBe('1')
  })

  it('without a token it opens no device channel and keeps its link’s choice', () => {
    vi.stubGlobal('fetch', vi.fn(routeFetch({ 'GET /api/queues/q-1': () => new Promise(() => {}) })))
    render(<DisplayView queueId="q-1" chime={vi.fn()} reload={vi.fn()} search="?voice=off" />)
    expect(FakeWebSocket.instances.map((ws) => new URL(ws.url).pathname)).toEqual(['/ws/queues/q-1'])
    expect(fetch.mock.calls.some(([url]) => String(url).includes('/api/device'))).toBe(false)
    expect(document.documentElement.dataset.voiceSwitch).toBe('off')
  })

  it('the TV of several services (/display?services=…#token=…) follows its switch and plays its tests too', async () => {
    window.history.replaceState(null, '', '/display?services=q-1#token=tv-all')
    vi.stubGlobal(
      'fetch',
      vi.fn(
        routeFetch({
          'GET /api/queues/q-1': () => new Promise(() => {}),
          'GET /api/services': () => ({ body: { services: [] } }),
          'GET /api/device': () => ({ body: { id: 'tv-9', kind: 'display', name: 'Hall TV', voice: true, queue_id: 'q-1', services: [] } }),
          'GET /api/voice/sample': () => new Response('RIFF', { status: 200, headers: { 'Content-Type': 'audio/wav' } }),
        }),
      ),
    )
    const chime = vi.fn(() => true)
    const { made, makeAudio } = fakeAudio()
    render(<DisplayServices search="?services=q-1" chime={chime} reload={vi.fn()} makeAudio={makeAudio} />)
    expect(window.location.hash).toBe('')
    expect(localStorage.getItem('qode.displayToken')).toBe('tv-all')
    await deviceSocketOpened()
    const device = socket(/\/ws\/devices\/tv-9$/)
    act(() => device.open())
    expect(device.sent[0]).toEqual({ type: 'auth', token: 'tv-all' })
    act(() => device.receive({ type: 'device', device: { id: 'tv-9', kind: 'display', name: 'Hall TV', voice: false } }))
    expect(document.documentElement.dataset.voiceSwitch).toBe('off')
    act(() => device.receive({ type: 'voice_test' }))
    await wait(1200)
    expect(made.map((a) => a.url)).toEqual(['blob:sample-1'])
  })

  it('never sends its token over plain http from the Wi-Fi when the box wants https: it moves to the https address', async () => {
    localStorage.setItem('qode.displayToken.q-1', 'tv-secret')
    const fetchMock = vi.fn(
      routeFetch({
        'GET /api/tls': () => ({ body: { staff_https: 'remote', staff_url: 'https://box.local:8443' } }),
        'GET /api/device': () => ({ body: { id: 'tv-1', kind: 'display', name: 'Hall TV', voice: true } }),
      }),
    )
    vi.stubGlobal('fetch', fetchMock)
    const location = { protocol: 'http:', hostname: '192.168.1.20', pathname: '/display/q-1', search: '', hash: '', replace: vi.fn() }
    function Tv() {
      const { voice } = useTvVoice({ tokenKey: 'qode.displayToken.q-1', search: '', chime: vi.fn(), location })
      return <p>{String(voice)}</p>
    }
    render(<Tv />)
    await waitFor(() => expect(location.replace).toHaveBeenCalledWith('https://box.local:8443/display/q-1#token=tv-secret'))
    const asked = fetchMock.mock.calls.map(([url, init]) => [String(url), init?.headers?.Authorization ?? null])
    expect(asked).toEqual([['/api/tls', null]]) // no token left this page
    expect(FakeWebSocket.instances).toEqual([])
  })
})
