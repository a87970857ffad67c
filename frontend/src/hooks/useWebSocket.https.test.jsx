// Close code 4426 (docs/live.md): a staff socket over plain http that the box refuses
// (QODE_STAFF_HTTPS). Retrying over http cannot help, so the hook stops and says why.
import { act, renderHook } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { useWebSocket } from './useWebSocket.js'

describe('useWebSocket on a refused plain-http staff socket', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    FakeWebSocket.reset()
  })
  afterEach(() => vi.useRealTimers())

  it('stops for good on 4426 and reports https_required', () => {
    const { result } = renderHook(() =>
      useWebSocket('/ws/host/q-1', { WebSocketImpl: FakeWebSocket, authToken: 'host-token-0123456789' }),
    )
    act(() => FakeWebSocket.last().open())
    act(() => FakeWebSocket.last().drop(4426))
    expect(result.current.error).toEqual({ code: 'https_required', closeCode: 4426 })
    act(() => vi.advanceTimersByTime(120000))
    expect(FakeWebSocket.instances).toHaveLength(1) // no retry that would send the token again over http
  })
})
