import { render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { ticket } from '../test/fixtures.js'
import GuestView from '../pages/GuestView.jsx'
import { FIRST_STATE_ID, hasFirstState, readFirstTicket } from './firstState.js'

// What server/qode/pages.py writes into /t/{id}: JSON with <, > and & escaped.
function putFirstState(text) {
  const script = document.createElement('script')
  script.type = 'application/json'
  script.id = FIRST_STATE_ID
  script.textContent = text
  document.body.append(script)
}

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  document.getElementById(FIRST_STATE_ID)?.remove()
  vi.unstubAllGlobals()
})

describe('the first state in the HTML', () => {
  it('is read for its own ticket only, with the moment the box answered', () => {
    expect(hasFirstState()).toBe(false)
    expect(readFirstTicket('t-1')).toBeNull()
    putFirstState(JSON.stringify({ ticket: ticket({ display_number: 'A\u003c/script\u003e' }) }).replace(/</g, '\\u003c'))
    expect(hasFirstState()).toBe(true)
    const perf = { timeOrigin: 1_000_000, getEntriesByType: () => [{ responseStart: 250.4 }] }
    expect(readFirstTicket('t-1', document, perf)).toEqual({ ticket: ticket({ display_number: 'A</script>' }), savedAt: 1_000_250 })
    expect(readFirstTicket('t-2')).toBeNull()
  })

  it('is ignored when it is not JSON', () => {
    putFirstState('{"ticket":')
    expect(readFirstTicket('t-1')).toBeNull()
  })

  it('shows the ticket at once, before any fetch or socket has answered', () => {
    const fetchMock = vi.fn(() => new Promise(() => {})) // never answers
    vi.stubGlobal('fetch', fetchMock)
    putFirstState(JSON.stringify({ ticket: ticket() }))
    render(<GuestView ticketId="t-1" />)
    expect(screen.getByText('A12')).toBeInTheDocument()
    expect(screen.getByText('3 people ahead of you')).toBeInTheDocument()
    expect(screen.queryByText('Loading…')).not.toBeInTheDocument()
  })
})
