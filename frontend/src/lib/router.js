// A router small enough to read: the page is chosen from location.pathname.

/**
 * Which page a path shows: {page: "guest", ticketId} | {page: "join", queueId} | {page: "notFound"} | …
 * `/host` alone is {page: "host", queueId: null} (a counter's desk over several services);
 * /join, /kiosk and /display without an id are the pages of several services: {page} alone.
 */
export function matchRoute(pathname) {
  // A counter's desk: the host token (in the fragment) says which services it covers.
  if (/^\/host\/?$/.test(pathname)) return { page: 'host', queueId: null }
  const parts = pathname.split('/').filter(Boolean).map(safeDecode)
  if (parts.length === 2 && parts[0] === 't' && parts[1]) return { page: 'guest', ticketId: parts[1] }
  if (parts.length === 2 && parts[0] === 'join' && parts[1]) return { page: 'join', queueId: parts[1] }
  if (parts.length === 2 && ['host', 'display', 'kiosk'].includes(parts[0]) && parts[1]) {
    return { page: parts[0], queueId: parts[1] }
  }
  if (parts.length === 1 && ['join', 'kiosk', 'display'].includes(parts[0])) return { page: parts[0] }
  if (parts.length === 1 && parts[0] === 'setup') return { page: 'setup' }
  if (parts.length === 1 && parts[0] === 'hub') return { page: 'hub' }
  return { page: 'notFound' }
}

function safeDecode(part) {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

/** Show another page without a reload (usePath listens for popstate). */
export function navigate(path, { replace = false } = {}) {
  if (replace) window.history.replaceState(null, '', path)
  else window.history.pushState(null, '', path)
  window.dispatchEvent(new PopStateEvent('popstate'))
}
