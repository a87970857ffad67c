// One live channel (docs/live.md): keeps a socket open, resumes with ?since=<seq>, notices
// dead sockets, and refreshes over REST while it cannot connect, so a page always shows
// the freshest state it can get and says honestly whether it is live.
import { useCallback, useEffect, useRef, useState } from 'react'

export const DEFAULTS = {
  base: 500, // first reconnect delay (ms, before jitter)
  cap: 15000, // longest reconnect delay
  jitter: 'full',
  deadAfter: 60000, // no message for this long: the socket is dead
  pingEvery: 20000, // browsers hide the server's pings, so we ask for pongs ourselves
  connectTimeout: 10000, // a socket that brings no message this long after opening is given up
  probeTimeout: 5000, // after waking up: how long a pong may take before the socket is dead
  fallbackEvery: 10000, // REST refresh period while not connected
  stableAfter: 30000, // a socket open this long resets the backoff (one dropped sooner does not)
  onlineJitter: 1000, // on the `online` event, reconnect within [0, this] ms, not all phones at once
  rateLimitWait: 60000, // after close code 4429, wait at least this long before trying again
}

// Close codes that will not change by retrying (docs/live.md, "Close codes").
// 4426: a staff socket over plain http (QODE_STAFF_HTTPS): only the https address helps.
const PERMANENT = { 4400: 'bad_request', 4401: 'unauthorized', 4403: 'forbidden', 4404: 'not_found', 4426: 'https_required' }
// Too many failed credentials from this address: retrying helps, but not before a minute.
const RATE_LIMITED = 4429

/**
 * Milliseconds to wait before reconnect attempt `attempt` (0 for the first retry):
 * exponential from `base`, capped at `cap`. Full jitter picks uniformly in [0, d];
 * equal jitter in [d/2, d], so a whole room of phones does not come back at once.
 */
export function backoffDelay(attempt, { base = DEFAULTS.base, cap = DEFAULTS.cap, random = Math.random, jitter = DEFAULTS.jitter } = {}) {
  const exponent = Math.min(Math.max(0, attempt), 30)
  const ceiling = Math.min(cap, base * 2 ** exponent)
  const r = Math.min(1, Math.max(0, random()))
  const delay = jitter === 'equal' ? ceiling / 2 + (r * ceiling) / 2 : r * ceiling
  return Math.round(Math.min(cap, delay))
}

/** The socket URL for `path` on this page's host, with `since` when we have a seq. */
export function socketUrl(path, since, location = globalThis.location) {
  let url
  if (/^wss?:\/\//.test(path)) {
    url = new URL(path)
  } else {
    url = new URL(path, location.href)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  }
  if (since !== null && since !== undefined) url.searchParams.set('since', String(since))
  return url.toString()
}

/** What a message carries for the page: the ticket (ticket channel) or the state (queue channels). */
export function defaultSelect(message) {
  return message?.ticket ?? message?.state
}

/**
 * Apply one server message to `state`. `snapshot` replaces it; `update` merges in the
 * ticket (ticket channel) or the state (queue channels); anything else changes nothing.
 * `select(message)` may pick another payload (the host channel keeps state, tickets and clock).
 * An update older than the last seq is ignored; one at the same seq is applied, because
 * ETA refreshes carry the log position they were made at, which may be the last one seen.
 * `merge(state, payload)` folds an update's payload in (default: a shallow merge; the host
 * channel's updates carry only the tickets that changed).
 * Returns {state, seq, changed}.
 */
export function applyMessage(state, seq, message, select = defaultSelect, merge = shallowMerge) {
  const payload = select(message)
  const messageSeq = Number.isInteger(message?.seq) ? message.seq : null
  if (message?.type === 'snapshot' && payload) {
    // A snapshot is the truth even below our seq (a restored database starts lower).
    return { state: payload, seq: messageSeq ?? seq, changed: true }
  }
  if (message?.type === 'update') {
    if (messageSeq !== null && seq !== null && messageSeq < seq) return { state, seq, changed: false }
    const next = messageSeq ?? seq
    if (!payload) return { state, seq: next, changed: false }
    return { state: merge(state, payload), seq: next, changed: true }
  }
  return { state, seq, changed: false }
}

function shallowMerge(state, payload) {
  return { ...(state ?? {}), ...payload }
}

/**
 * The connection machinery without React. `emit(patch)` receives changes of
 * {state, connection, updatedAt, error}; `options()` returns the current options.
 */
export class LiveChannel {
  constructor(path, options, emit) {
    this.path = path
    this.options = options
    this.emit = emit
    const o = options()
    this.state = o.initialState ?? null
    this.seq = null
    this.attempt = 0
    this.connection = 'connecting'
    this.ws = null
    this.heard = false // has the current socket delivered a message yet?
    this.lastHeardAt = undefined // when it last did (ms, now())
    this.stopped = false
    this.heldUntil = 0 // after 4429: no reconnect before this time (ms)
    this.rateLimited = false // is the rate_limited error being shown?
    this.timers = {}
    this.onWake = this.onWake.bind(this)
    this.onVisibility = this.onVisibility.bind(this)
    this.onPageShow = this.onPageShow.bind(this)
    this.onOnline = this.onOnline.bind(this)
    this.onOffline = this.onOffline.bind(this)
  }

  opt(name) {
    return this.options()[name] ?? DEFAULTS[name]
  }

  now() {
    return (this.options().now ?? Date.now)()
  }

  start() {
    globalThis.document?.addEventListener('visibilitychange', this.onVisibility)
    globalThis.addEventListener?.('pageshow', this.onPageShow)
    globalThis.addEventListener?.('online', this.onOnline)
    globalThis.addEventListener?.('offline', this.onOffline)
    this.connect()
    this.startFallback(true)
  }

  stop() {
    this.stopped = true
    globalThis.document?.removeEventListener('visibilitychange', this.onVisibility)
    globalThis.removeEventListener?.('pageshow', this.onPageShow)
    globalThis.removeEventListener?.('online', this.onOnline)
    globalThis.removeEventListener?.('offline', this.onOffline)
    for (const name of Object.keys(this.timers)) this.clear(name)
    this.discardSocket()
  }

  clear(name) {
    const timer = this.timers[name]
    if (timer !== undefined) {
      clearTimeout(timer)
      clearInterval(timer)
      delete this.timers[name]
    }
  }

  setConnection(connection) {
    if (this.connection !== connection) {
      this.connection = connection
      this.emit({ connection })
    }
  }

  setState(state) {
    this.state = state
    this.emit({ state, updatedAt: this.now() })
  }

  /** Drop the current socket without hearing from it again. */
  discardSocket() {
    const ws = this.ws
    this.ws = null
    this.clear('ping')
    this.clear('dead')
    this.clear('probe')
    this.clear('stable')
    if (!ws) return
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null
    try {
      ws.close()
    } catch {
      // closing a socket that never connected can throw in some browsers; it is gone either way
    }
  }

  connect() {
    if (this.stopped) return
    this.clear('retry')
    this.discardSocket()
    const Impl = this.options().WebSocketImpl ?? globalThis.WebSocket
    let ws
    try {
      ws = new Impl(socketUrl(this.path, this.seq))
    } catch {
      this.dropped(1006)
      return
    }
    this.ws = ws
    // Nothing heard on this socket yet: what an older socket last said says nothing about it.
    this.heard = false
    this.lastHeardAt = undefined
    ws.onopen = () => {
      // Authenticated channels (host, device) take the token as their first message, never in
      // the URL; it is sent again on every reconnect.
      const token = this.options().authToken
      if (token) {
        try {
          ws.send(JSON.stringify({ type: 'auth', token }))
        } catch {
          // the close event that follows takes the usual path
        }
      }
      this.clear('dead')
      this.armDead(this.opt('connectTimeout'))
      this.timers.ping = setInterval(() => this.ping(), this.opt('pingEvery'))
      // Only a socket that stays up resets the backoff: a server that drops us right after
      // the snapshot (a slow client) must not bring us back every few hundred ms forever.
      this.timers.stable = setTimeout(() => {
        delete this.timers.stable
        this.attempt = 0
      }, this.opt('stableAfter'))
    }
    ws.onmessage = (event) => this.received(event)
    ws.onclose = (event) => {
      if (this.ws === ws) this.dropped(event?.code ?? 1006)
    }
    ws.onerror = () => {} // a close event follows
    // A socket stuck before opening counts as dead too.
    this.armDead(this.opt('connectTimeout'))
  }

  armDead(ms) {
    this.clear('dead')
    // Before its first message the socket is a failed attempt (backoff); after, a dead one.
    this.timers.dead = setTimeout(() => (this.heard ? this.dead() : this.dropped(1006)), ms)
  }

  ping() {
    const ws = this.ws
    if (!ws || ws.readyState !== 1) return
    try {
      ws.send(JSON.stringify({ type: 'ping' }))
    } catch {
      this.dead()
    }
  }

  received(event) {
    this.lastHeardAt = this.now()
    this.clear('probe')
    this.armDead(this.opt('deadAfter'))
    this.heard = true
    if (this.rateLimited) {
      this.rateLimited = false
      this.emit({ error: null })
    }
    let message
    try {
      message = JSON.parse(event.data)
    } catch {
      return
    }
    this.setConnection('open')
    this.clear('fallback')
    const result = applyMessage(this.state, this.seq, message, this.options().select ?? defaultSelect, this.options().merge)
    this.seq = result.seq
    if (result.changed) this.setState(result.state)
    this.options().onMessage?.(message)
  }

  dropped(code) {
    this.discardSocket()
    if (this.stopped) return
    if (PERMANENT[code]) {
      this.fail(PERMANENT[code], code)
      return
    }
    this.setConnection(globalThis.navigator?.onLine === false ? 'offline' : 'reconnecting')
    this.startFallback(false)
    let delay = backoffDelay(this.attempt, {
      base: this.opt('base'),
      cap: this.opt('cap'),
      jitter: this.opt('jitter'),
      random: this.random(),
    })
    this.attempt += 1
    if (code === RATE_LIMITED) {
      // Say why, and keep away for a minute (plus the jittered backoff) whatever wakes us.
      delay += this.opt('rateLimitWait')
      this.heldUntil = this.now() + delay
      if (!this.rateLimited) {
        this.rateLimited = true
        this.emit({ error: { code: 'rate_limited', closeCode: code } })
      }
    }
    this.timers.retry = setTimeout(() => this.connect(), delay)
  }

  random() {
    return this.options().random ?? Math.random
  }

  /** Still inside the wait after a 4429? Then nothing but the scheduled retry connects. */
  held() {
    return this.now() < this.heldUntil
  }

  /** No message for too long: close it and start again at once. */
  dead() {
    if (this.stopped) return
    this.discardSocket()
    this.setConnection(globalThis.navigator?.onLine === false ? 'offline' : 'reconnecting')
    this.startFallback(false)
    this.connect()
  }

  fail(code, closeCode) {
    this.stopped = true
    for (const name of Object.keys(this.timers)) this.clear(name)
    this.discardSocket()
    this.setConnection('offline')
    this.emit({ error: { code, closeCode } })
  }

  /** Woken up (tab visible, back from the bfcache, network back): check or reconnect now. */
  onWake() {
    if (this.stopped || this.held()) return
    const ws = this.ws
    if (ws && ws.readyState === 1) {
      // Open but no snapshot yet: a fresh socket, which its connect timeout already guards.
      // It must not be judged by an older socket's silence, nor probed harder than that.
      if (!this.heard) return
      // A socket that slept may look open and be dead: ask for a pong, or give up on it.
      if (this.now() - this.lastHeardAt > this.opt('deadAfter')) {
        this.dead()
        return
      }
      this.ping()
      if (this.timers.probe === undefined) this.timers.probe = setTimeout(() => this.dead(), this.opt('probeTimeout'))
      return
    }
    if (ws && ws.readyState === 0) return // already connecting; its own timeout guards it
    this.connect()
  }

  onVisibility() {
    if (globalThis.document?.visibilityState === 'visible') this.onWake()
  }

  onPageShow(event) {
    // pageshow also fires on a normal load; only a page restored from the bfcache needs it.
    if (event?.persisted) this.onWake()
  }

  onOnline() {
    if (this.stopped || this.held()) return
    this.attempt = 0
    // The network came back for every phone in the room at once: spread the reconnects.
    this.clear('online')
    const delay = Math.round(Math.min(1, Math.max(0, this.random()())) * this.opt('onlineJitter'))
    this.timers.online = setTimeout(() => {
      delete this.timers.online
      this.onWake()
    }, delay)
  }

  onOffline() {
    if (this.stopped) return
    // A live socket may still reach the box (same Wi-Fi): check it. Anything else is offline;
    // a fresh socket is kept all the same, and its first message says open again.
    if (this.ws?.readyState === 1 && this.heard) this.onWake()
    else this.setConnection('offline')
  }

  startFallback(immediate) {
    if (this.stopped || this.timers.fallback !== undefined) return
    if (!this.options().fallback) return
    this.timers.fallback = setInterval(() => this.refresh(), this.opt('fallbackEvery'))
    if (immediate) this.refresh()
  }

  refresh() {
    const fallback = this.options().fallback
    if (!fallback || this.stopped) return
    let pending
    try {
      pending = Promise.resolve(fallback())
    } catch (err) {
      pending = Promise.reject(err)
    }
    pending.then(
      (result) => {
        // While the socket is live its state is fresher than a REST answer that raced it.
        if (this.stopped || this.connection === 'open' || result == null) return
        this.setState(result)
      },
      (err) => {
        if (!this.stopped && err?.status === 404) this.fail('not_found', null)
        // Anything else (offline, 5xx): keep the last state and try again next period.
      },
    )
  }

  /** Replace the state from outside, e.g. with the answer to a write. */
  replace(state) {
    if (state != null) this.setState(state)
  }

  /** Reconnect now (a "retry" button). */
  reconnect() {
    if (this.stopped || this.held()) return
    this.attempt = 0
    this.connect()
  }
}

/**
 * Follow the channel at `path` (e.g. `/ws/tickets/{id}`); null disables it.
 * Returns {state, connection, updatedAt, error, replace, reconnect}; `connection` is
 * "connecting", "open", "reconnecting" or "offline". `error` is set when retrying cannot
 * help (e.g. {code: "not_found"}), after which the channel stops; except
 * {code: "rate_limited"} (close code 4429), which retries after rateLimitWait and is
 * cleared by the next message.
 * Options: fallback (async REST refresh), fallbackEvery, deadAfter, pingEvery,
 * connectTimeout, probeTimeout, stableAfter, onlineJitter, rateLimitWait, base, cap,
 * jitter, random, now, WebSocketImpl,
 * initialState, initialUpdatedAt, onMessage, authToken (sent as {"type": "auth", "token"},
 * the first message on every connection), select (message → payload, see applyMessage).
 */
export function useWebSocket(path, options = {}) {
  const optionsRef = useRef(options)
  useEffect(() => {
    optionsRef.current = options
  })
  const [view, setView] = useState(() => ({
    state: options.initialState ?? null,
    connection: 'connecting',
    updatedAt: options.initialUpdatedAt ?? null,
    error: null,
  }))
  const channelRef = useRef(null)
  // Another path starts over: connecting, and no error left from the old channel. Set while
  // rendering (React's pattern for state that follows a prop), not by an effect afterwards.
  const [viewPath, setViewPath] = useState(path)
  if (viewPath !== path) {
    setViewPath(path)
    if (path) setView((v) => ({ ...v, connection: 'connecting', error: null }))
  }

  useEffect(() => {
    if (!path) return undefined
    const channel = new LiveChannel(path, () => optionsRef.current, (patch) => setView((v) => ({ ...v, ...patch })))
    channelRef.current = channel
    channel.start()
    return () => {
      channel.stop()
      if (channelRef.current === channel) channelRef.current = null
    }
  }, [path])

  const replace = useCallback((state) => channelRef.current?.replace(state), [])
  const reconnect = useCallback(() => channelRef.current?.reconnect(), [])
  return { ...view, replace, reconnect }
}
