// The guest's own language choice, remembered on the phone: per ticket (/t/{id}), and per join
// page (/join/{queue}) until a ticket is taken there, when it moves to that ticket. A page
// without a choice keeps the page's own language (enterLanguage). Blocked or full storage only
// costs the memory, never the switch.
import { getDirection, getLanguage, setLanguage, strings } from './strings.js'

const PREFIX = 'qode.lang.'
const KEEP_MS = 2 * 24 * 60 * 60 * 1000 // tickets live one service day; keep a margin, then forget

function store() {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null
  }
}

/** The storage key of a ticket's or a join page's choice. */
export function ticketScope(ticketId) {
  return `${PREFIX}ticket.${ticketId}`
}

export function joinScope(queueId) {
  return `${PREFIX}join.${queueId}`
}

function known(lang) {
  return typeof lang === 'string' && Object.hasOwn(strings, lang)
}

/** The language chosen for `scope`, or null (none, unknown language, unreadable storage). */
export function storedLanguage(scope) {
  try {
    const entry = JSON.parse(store()?.getItem(scope) ?? 'null')
    return known(entry?.lang) ? entry.lang : null
  } catch {
    return null
  }
}

export function rememberLanguage(scope, lang, now = Date.now()) {
  const s = store()
  if (!s || !known(lang)) return
  try {
    s.setItem(scope, JSON.stringify({ lang, savedAt: now }))
    prune(s, now)
  } catch {
    // Storage full or blocked: the page still switches, it just forgets on reload.
  }
}

export function forgetLanguage(scope) {
  try {
    store()?.removeItem(scope)
  } catch {
    // nothing to forget
  }
}

/** A ticket was taken on `queueId`'s join page: its choice (if any) now belongs to the ticket. */
export function carryJoinLanguage(queueId, ticketId, now = Date.now()) {
  const lang = storedLanguage(joinScope(queueId))
  if (!lang) return
  rememberLanguage(ticketScope(ticketId), lang, now)
  forgetLanguage(joinScope(queueId))
}

// The page's own language (the phone's, or whatever the app set before a guest page opened) and
// the language this module last applied: a guest's choice on one ticket must not leak into the
// next ticket or join page opened in the same tab.
let base = null
let applied = null

/** Switches t() to `lang` and sets <html lang> and dir; returns the language now in use. */
export function applyLanguage(lang) {
  const used = setLanguage(lang)
  applied = used
  if (typeof document !== 'undefined') {
    document.documentElement.lang = used
    document.documentElement.dir = getDirection(used)
  }
  return used
}

/**
 * A guest page under `scope` opens: its stored choice, else the page's own language. The page's
 * own language is what was in use before any choice was applied here; if someone else has set
 * the language since (a venue default, a test), that is the page's own language from now on.
 */
export function enterLanguage(scope) {
  if (applied === null || getLanguage() !== applied) base = getLanguage()
  return applyLanguage(storedLanguage(scope) ?? base)
}

/** Forget which language was the page's own (tests that set the language themselves). */
export function resetPageLanguage() {
  base = null
  applied = null
}

/** Drop choices from earlier days so the storage does not grow ticket after ticket. */
function prune(s, now) {
  for (let i = s.length - 1; i >= 0; i--) {
    const key = s.key(i)
    if (!key?.startsWith(PREFIX)) continue
    try {
      const savedAt = Number(JSON.parse(s.getItem(key))?.savedAt)
      if (!savedAt || now - savedAt > KEEP_MS) s.removeItem(key)
    } catch {
      s.removeItem(key)
    }
  }
}

/** A language's name in itself ("Deutsch", "Français", "العربية"), for a menu of languages. */
export function nativeName(lang) {
  try {
    const name = new Intl.DisplayNames([lang], { type: 'language' }).of(lang)
    if (name && name !== lang) return name.charAt(0).toLocaleUpperCase(lang) + name.slice(1)
  } catch {
    // no Intl.DisplayNames: the code is better than nothing
  }
  return lang.toUpperCase()
}
