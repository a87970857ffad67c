import { describe, expect, it } from 'vitest'
import { matchRoute } from './router.js'

describe('matchRoute', () => {
  it('knows every page', () => {
    expect(matchRoute('/t/tk_abc123')).toEqual({ page: 'guest', ticketId: 'tk_abc123' })
    expect(matchRoute('/join/q_1')).toEqual({ page: 'join', queueId: 'q_1' })
    expect(matchRoute('/host/q_1')).toEqual({ page: 'host', queueId: 'q_1' })
    expect(matchRoute('/display/q_1')).toEqual({ page: 'display', queueId: 'q_1' })
    expect(matchRoute('/kiosk/q_1')).toEqual({ page: 'kiosk', queueId: 'q_1' })
    expect(matchRoute('/setup')).toEqual({ page: 'setup' })
    expect(matchRoute('/hub')).toEqual({ page: 'hub' })
  })

  it('knows the pages of several services: /join, /kiosk and /display without an id', () => {
    expect(matchRoute('/join')).toEqual({ page: 'join' })
    expect(matchRoute('/kiosk/')).toEqual({ page: 'kiosk' })
    expect(matchRoute('/display')).toEqual({ page: 'display' })
  })

  it('takes a trailing slash, or doubled slashes, as the same page', () => {
    expect(matchRoute('/t/tk_abc123/')).toEqual({ page: 'guest', ticketId: 'tk_abc123' })
    expect(matchRoute('/host/q_1/')).toEqual({ page: 'host', queueId: 'q_1' })
    expect(matchRoute('/host')).toEqual({ page: 'host', queueId: null })
    expect(matchRoute('/host/')).toEqual({ page: 'host', queueId: null })
    expect(matchRoute('/setup/')).toEqual({ page: 'setup' })
    expect(matchRoute('/hub/')).toEqual({ page: 'hub' })
    expect(matchRoute('//join//q_1//')).toEqual({ page: 'join', queueId: 'q_1' })
  })

  it('decodes an id, and keeps one that is not valid percent-encoding as it came', () => {
    expect(matchRoute('/join/Front%20desk')).toEqual({ page: 'join', queueId: 'Front desk' })
    expect(matchRoute('/display/%C3%A9t%C3%A9')).toEqual({ page: 'display', queueId: 'été' })
    // Malformed escapes do not throw: the id goes to the page as is, and the box answers 404.
    expect(matchRoute('/t/%E0%A4%A')).toEqual({ page: 'guest', ticketId: '%E0%A4%A' })
    expect(matchRoute('/kiosk/100%')).toEqual({ page: 'kiosk', queueId: '100%' })
  })

  it('shows no page for a missing id or one too many parts', () => {
    for (const path of ['/t', '/t/', '/host//', '/t/a/b', '/host/q_1/extra', '/setup/x', '/hub/x']) {
      expect(matchRoute(path), path).toEqual({ page: 'notFound' })
    }
  })

  it('shows no page for an unknown path', () => {
    for (const path of ['/', '', '/admin', '/tickets/abc', '/T/abc', '/Setup', '/api/queues', '/static/x.js', '/host-q_1']) {
      expect(matchRoute(path), path).toEqual({ page: 'notFound' })
    }
  })
})
