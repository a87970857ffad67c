import { act } from '@testing-library/react'
import { afterEach, beforeEach, vi } from 'vitest'
// A WebSocket stand-in the tests drive by hand: open(), send a server message, drop().
export class FakeWebSocket {
  static CONNECTING = 0
  static OPEN = 1
  static CLOSING = 2
  static CLOSED = 3
  static instances = []

  static reset() {
    FakeWebSocket.instances = []
  }

  static last() {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1]
  }

  constructor(url) {
    this.url = url
    this.readyState = FakeWebSocket.CONNECTING
    this.sent = []
    this.closedByClient = false
    this.onopen = this.onmessage = this.onclose = this.onerror = null
    FakeWebSocket.instances.push(this)
  }

  send(data) {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('not open')
    this.sent.push(JSON.parse(data))
  }

  close(code = 1000) {
    if (this.readyState === FakeWebSocket.CLOSED) return
    this.closedByClient = true
    this.readyState = FakeWebSocket.CLOSED
    this.onclose?.({ code, wasClean: true })
  }

  // The server's side.
  open() {
    this.readyState = FakeWebSocket.OPEN
    this.onopen?.({})
  }

  receive(message) {
    this.onmessage?.({ data: JSON.stringify(message) })
  }

  drop(code = 1006) {
    this.readyState = FakeWebSocket.CLOSED
    this.onclose?.({ code, wasClean: false })
  }
}

/** The server side of the newest socket: open it (once) and send `messages`. */
export function live(...messages) {
  const ws = FakeWebSocket.last()
  act(() => {
    if (ws.readyState !== FakeWebSocket.OPEN) ws.open()
    for (const m of messages) ws.receive(m)
  })
  return ws
}

/**
 * Register the usual page-test hooks: a fresh FakeWebSocket in place of WebSocket before each
 * test; afterwards the globals restored, storage cleared and the address back at "/".
 * `before` runs after the stub, e.g. to stub fetch or store a token.
 */
export function withFakeWebSocket(before) {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.stubGlobal('WebSocket', FakeWebSocket)
    before?.()
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    localStorage.clear()
    window.history.replaceState(null, '', '/')
  })
}
