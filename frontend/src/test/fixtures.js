// Objects shaped like schemas.py's TicketOut and QueueOut.
export function ticket(overrides = {}) {
  return {
    id: 't-1',
    queue_id: 'q-1',
    position_number: 12,
    display_number: 'A12',
    status: 'WAITING',
    source: 'web',
    counter: null,
    reason: null,
    people_ahead: 3,
    nearly_up: 3,
    eta_seconds: 700,
    now_serving: 'A9',
    service_day: '2026-11-26',
    created_at: '2026-11-26T10:00:00+01:00',
    called_at: null,
    serving_at: null,
    completed_at: null,
    ...overrides,
  }
}

export function queue(overrides = {}) {
  return {
    id: 'q-1',
    name: 'Front desk',
    prefix: 'A',
    active: true,
    is_paused: false,
    service_day: '2026-11-26',
    current_position: 9,
    last_number_issued: 12,
    now_serving: 'A9',
    waiting_count: 3,
    avg_wait_time: 240,
    eta_seconds: 840,
    back_in_seconds: null,
    grace_period: null,
    eta_margin: 0.2,
    counters: [{ name: '1', is_open: true, back_in_seconds: null }],
    created_at: '2026-11-26T08:00:00+01:00',
    ...overrides,
  }
}

/** A Response-like answer for a mocked fetch. */
export function jsonResponse(status, body) {
  return new Response(body === undefined ? '' : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

/**
 * A fetch mock routing "METHOD /path" to handlers: each returns a Response, an object
 * ({status, body}), or throws (a network failure). Handlers get (init, url).
 */
export function routeFetch(routes) {
  return async (url, init = {}) => {
    const path = new URL(url, 'http://localhost').pathname
    const key = `${init.method ?? 'GET'} ${path}`
    const handler = routes[key]
    if (!handler) return jsonResponse(404, { error: { code: 'not_found', message: `no route ${key}` } })
    const out = await handler(init, new URL(url, 'http://localhost'))
    return out instanceof Response ? out : jsonResponse(out.status ?? 200, out.body)
  }
}

/** Issue 16: a stand-in for `new Audio(url)`: {made, makeAudio}; each made audio's `end()` ends it. */
export function fakeAudio() {
  const made = []
  const makeAudio = (url) => {
    const listeners = {}
    const audio = { url, addEventListener: (name, fn) => (listeners[name] = fn), play: () => Promise.resolve(), end: () => listeners.ended?.() }
    made.push(audio)
    return audio
  }
  return { made, makeAudio }
}
