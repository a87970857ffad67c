// Issue 16: a registered display (its link's #token=…) follows the host's voice switch and plays
// the host's voice test, heard on its own device channel (/ws/devices/{id}).
import { act, render } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { fakeAudio, queue, routeFetch } from '../test/fixtures.js'
import DisplayView from './DisplayView.jsx'

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

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
  vi.stubGlobal('URL', Object.assign(globalThis.URL, { createObjectURL: vi.fn(() => 'blob:sample-1'), revokeObjectURL: vi.fn() }))
})
afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
  localStorage.clear()
})

describe('DisplayView of a registered display (issue 16)', () => {
  it('takes the token off the address, opens its device channel with it and follows the host’s switch', async () => {
    const { chime, made, seen } = renderRegistered()
    expect(window.location.hash).toBe('')
    await wait(0)
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
    const { made } = renderRegistered({ voice: false, search: '' })
    await wait(0)
    expect(document.documentElement.dataset.voiceSwitch).toBe('off')
    const device = socket(/\/ws\/devices\/tv-1$/)
    act(() => device.open())
    act(() => device.receive({ type: 'snapshot', seq: 7, state: queue(), device: { id: 'tv-1', kind: 'display', name: 'Hall TV', voice: true }, jobs: [] }))
    expect(document.documentElement.dataset.voiceSwitch).toBe('on')
    expect(made).toEqual([])
  })

  it('plays the host’s voice test: the chime, then the sample fetched with its token, even with its voice off', async () => {
    const { chime, made } = renderRegistered({ voice: false })
    await wait(0)
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
})
