// The strings every page needs (app, guest, join, errors). Other pages keep theirs in their
// own files (strings.host.js, strings.screens.js, strings.hub.js), which add themselves to this
// dictionary when their page's chunk loads, so a guest's phone never downloads them.
//
// English is the reference: a test checks that every language has exactly its keys. `{name}`
// is replaced by t(key, {name: ...}). A plural key has one variant per CLDR plural category
// of its language (`_one`, `_few`, `_many`, `_other`, …), chosen by Intl.PluralRules from the
// `count` parameter: Polish needs `_few` and `_many`, English only `_one` and `_other`.

const base = {
  en: {
    'app.name': 'Qode',
    'app.loading': 'Loading…',
    'app.failedTitle': 'This page could not be shown',
    'app.failedBody': 'The connection to the queue may have dropped. The page tries again by itself as soon as the box answers.',
    'app.retry': 'Try again now',
    'staffHttps.moving': 'Opening this page at the box’s secure (https) address…',
    'staffHttps.blockedTitle': 'This page needs the box’s secure address',
    'staffHttps.blockedBody': 'The box does not accept staff links over plain http, where anyone on the Wi-Fi could overhear them, and it has no secure (https) address yet. Run the installer on the box again (sudo ./install.sh), which sets one up.',

    'connection.connecting': 'Connecting…',
    'connection.reconnecting': 'Reconnecting…',
    'connection.offline': 'No network. Reconnecting…',
    'connection.lastUpdate': 'Showing what we knew at {time}.',

    'notFound.title': 'Page not found',
    'notFound.body': 'This address does not lead anywhere. Scan the QR code on your ticket or on the poster again.',

    'title.ahead_one': '{count} ahead',
    'title.ahead_other': '{count} ahead',
    'title.nobodyAhead': 'nobody ahead',
    'venue.logoAlt': 'Logo of the venue',

    'ticket.title': 'Your ticket',
    'ticket.number': 'Ticket number',
    'ticket.status.WAITING': 'Waiting',
    'ticket.status.CALLED': 'Your turn',
    'ticket.status.SERVING': 'Being served',
    'ticket.status.COMPLETED': 'Done',
    'ticket.status.NO_SHOW': 'Missed',
    'ticket.status.CANCELLED': 'Cancelled',
    'ticket.peopleAhead_one': '{count} person ahead of you',
    'ticket.peopleAhead_other': '{count} people ahead of you',
    'ticket.nobodyAhead': 'Nobody ahead of you',
    'ticket.eta': 'about {minutes} min',
    'ticket.etaLabel': 'Estimated wait',
    'ticket.next': "You're next",
    'ticket.nowServing': 'Now serving',
    'ticket.nobodyServed': 'Nobody yet',
    'ticket.calledTitle': 'Your turn',
    'ticket.calledCounter': 'Counter {counter}',
    'ticket.calledAnyCounter': 'Please go to the desk',
    'ticket.calledDismiss': 'OK, on my way',
    'ticket.serving': 'You are being served at counter {counter}.',
    'ticket.servingAnyCounter': 'You are being served.',
    'ticket.completed': 'Thank you for your visit.',
    'ticket.noShow': 'You were called but missed your turn. Please ask at the desk.',
    'ticket.cancelled': 'This ticket is cancelled.',
    'ticket.dayEnded': 'The day has ended and this ticket has closed.',
    'ticket.lineClosed': 'The line was closed for today, and this ticket was cancelled.',
    'ticket.cancelledByHost': 'This ticket was cancelled by the host.',
    'ticket.newTicket': 'Take a new ticket',
    'ticket.keepOpen': 'Keep this page open. It updates by itself.',
    'ticket.cancel': 'Leave the line',
    'ticket.cancelConfirm': 'Leave the line? You will lose your place.',
    'ticket.cancelYes': 'Yes, leave the line',
    'ticket.cancelNo': 'No, keep my place',
    'ticket.cancelling': 'Leaving…',
    'ticket.notFoundTitle': "We can't find this ticket",
    'ticket.notFoundBody': 'The link may be wrong, or the ticket is from an earlier day. Ask at the desk if you need help.',
    'ticket.announce': 'Ticket {number}: {status}.',
    'ticket.announceAhead': 'Ticket {number}: {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Ticket {number}: {status}, nobody ahead of you.',
    'ticket.announceCalled': 'Ticket {number}: your turn, counter {counter}.',

    'join.title': 'Join the line',
    'join.nowServing': 'Now serving',
    'join.waiting_one': '{count} person waiting',
    'join.waiting_other': '{count} people waiting',
    'join.eta': 'If you join now: about {minutes} min',
    'join.etaNone': 'If you join now: no wait expected',
    'join.take': 'Take a ticket',
    'join.taking': 'Taking a ticket…',
    'join.paused': 'This line is paused for a moment.',
    'join.pausedBack': 'Back in about {minutes} min.',
    'join.closed': 'This line is closed right now.',
    'join.closedBody': 'No new tickets are being handed out. Please ask at the desk.',
    'join.notFoundTitle': "We can't find this line",
    'join.notFoundBody': 'Scan the QR code on the poster again, or ask at the desk.',

    'error.offline': 'No connection to the queue. Check your Wi-Fi and try again.',
    'error.rate_limited': 'Too many tries. Please wait a minute and try again.',
    'error.queue_paused': 'This line is paused for a moment. Please try again shortly.',
    'error.queue_closed': 'This line is closed and is not taking new tickets.',
    'error.queue_full': 'This line is full right now. Please try again when it has moved on.',
    'error.too_many_tickets': 'This phone or network already holds as many tickets for this line as one guest may. Try again once one of them has been served.',
    'error.illegal_transition': 'That is not possible any more: your ticket has moved on.',
    'error.generic': 'Something went wrong. Please try again.',
    'error.storage_disk_full': 'The box cannot save right now, so no ticket was made. Please ask the staff.',
    'error.storage_read_only': 'The box cannot save right now, so no ticket was made. Please ask the staff.',
    'error.storage_io_error': 'The box cannot save right now, so no ticket was made. Please ask the staff.',
    'error.storage_busy': 'The box is busy. Please try again in a moment.',
  },

  de: {
    'app.name': 'Qode',
    'app.loading': 'Wird geladen…',
    'app.failedTitle': 'Diese Seite konnte nicht angezeigt werden',
    'app.failedBody': 'Die Verbindung zur Warteschlange ist vielleicht unterbrochen. Die Seite versucht es von selbst erneut, sobald die Box antwortet.',
    'app.retry': 'Jetzt erneut versuchen',
    'staffHttps.moving': 'Diese Seite wird unter der sicheren (https-)Adresse der Box geöffnet…',
    'staffHttps.blockedTitle': 'Diese Seite braucht die sichere Adresse der Box',
    'staffHttps.blockedBody': 'Die Box nimmt Links für das Personal nicht über unverschlüsseltes http an, wo jeder im WLAN mitlesen könnte, und sie hat noch keine sichere (https-)Adresse. Führen Sie das Installationsprogramm auf der Box erneut aus (sudo ./install.sh), es richtet sie ein.',

    'connection.connecting': 'Verbinde…',
    'connection.reconnecting': 'Verbindung wird wiederhergestellt…',
    'connection.offline': 'Kein Netz. Verbindung wird wiederhergestellt…',
    'connection.lastUpdate': 'Stand von {time}.',

    'notFound.title': 'Seite nicht gefunden',
    'notFound.body': 'Diese Adresse führt nirgendwohin. Scannen Sie den QR-Code auf Ihrem Ticket oder auf dem Aushang noch einmal.',

    'title.ahead_one': '{count} vor Ihnen',
    'title.ahead_other': '{count} vor Ihnen',
    'title.nobodyAhead': 'niemand vor Ihnen',
    'venue.logoAlt': 'Logo des Hauses',

    'ticket.title': 'Ihr Ticket',
    'ticket.number': 'Ticketnummer',
    'ticket.status.WAITING': 'Wartend',
    'ticket.status.CALLED': 'Sie sind dran',
    'ticket.status.SERVING': 'In Bearbeitung',
    'ticket.status.COMPLETED': 'Erledigt',
    'ticket.status.NO_SHOW': 'Verpasst',
    'ticket.status.CANCELLED': 'Storniert',
    'ticket.peopleAhead_one': '{count} Person vor Ihnen',
    'ticket.peopleAhead_other': '{count} Personen vor Ihnen',
    'ticket.nobodyAhead': 'Niemand vor Ihnen',
    'ticket.eta': 'etwa {minutes} Min.',
    'ticket.etaLabel': 'Geschätzte Wartezeit',
    'ticket.next': 'Sie sind als Nächstes dran',
    'ticket.nowServing': 'Aktuell an der Reihe',
    'ticket.nobodyServed': 'Noch niemand',
    'ticket.calledTitle': 'Sie sind dran',
    'ticket.calledCounter': 'Schalter {counter}',
    'ticket.calledAnyCounter': 'Bitte kommen Sie zum Schalter',
    'ticket.calledDismiss': 'OK, ich komme',
    'ticket.serving': 'Sie werden an Schalter {counter} bedient.',
    'ticket.servingAnyCounter': 'Sie werden bedient.',
    'ticket.completed': 'Vielen Dank für Ihren Besuch.',
    'ticket.noShow': 'Sie wurden aufgerufen, waren aber nicht da. Bitte fragen Sie am Schalter.',
    'ticket.cancelled': 'Dieses Ticket ist storniert.',
    'ticket.dayEnded': 'Der Tag ist vorbei, dieses Ticket ist abgelaufen.',
    'ticket.lineClosed': 'Die Warteschlange wurde für heute geschlossen, dieses Ticket wurde storniert.',
    'ticket.cancelledByHost': 'Dieses Ticket wurde vom Personal storniert.',
    'ticket.newTicket': 'Neues Ticket ziehen',
    'ticket.keepOpen': 'Lassen Sie diese Seite offen. Sie aktualisiert sich selbst.',
    'ticket.cancel': 'Warteschlange verlassen',
    'ticket.cancelConfirm': 'Warteschlange verlassen? Ihr Platz geht verloren.',
    'ticket.cancelYes': 'Ja, verlassen',
    'ticket.cancelNo': 'Nein, Platz behalten',
    'ticket.cancelling': 'Wird storniert…',
    'ticket.notFoundTitle': 'Dieses Ticket gibt es nicht',
    'ticket.notFoundBody': 'Der Link ist falsch oder das Ticket ist von einem früheren Tag. Fragen Sie bei Bedarf am Schalter.',
    'ticket.announce': 'Ticket {number}: {status}.',
    'ticket.announceAhead': 'Ticket {number}: {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Ticket {number}: {status}, niemand vor Ihnen.',
    'ticket.announceCalled': 'Ticket {number}: Sie sind dran, Schalter {counter}.',

    'join.title': 'In die Warteschlange',
    'join.nowServing': 'Aktuell an der Reihe',
    'join.waiting_one': '{count} Person wartet',
    'join.waiting_other': '{count} Personen warten',
    'join.eta': 'Wartezeit, wenn Sie jetzt ziehen: etwa {minutes} Min.',
    'join.etaNone': 'Wenn Sie jetzt ziehen: keine Wartezeit erwartet',
    'join.take': 'Ticket ziehen',
    'join.taking': 'Ticket wird gezogen…',
    'join.paused': 'Diese Warteschlange ist kurz pausiert.',
    'join.pausedBack': 'Weiter in etwa {minutes} Min.',
    'join.closed': 'Diese Warteschlange ist gerade geschlossen.',
    'join.closedBody': 'Es werden keine neuen Tickets ausgegeben. Bitte fragen Sie am Schalter.',
    'join.notFoundTitle': 'Diese Warteschlange gibt es nicht',
    'join.notFoundBody': 'Scannen Sie den QR-Code auf dem Aushang noch einmal oder fragen Sie am Schalter.',

    'error.offline': 'Keine Verbindung zur Warteschlange. Prüfen Sie Ihr WLAN und versuchen Sie es erneut.',
    'error.rate_limited': 'Zu viele Versuche. Bitte warten Sie eine Minute.',
    'error.queue_paused': 'Diese Warteschlange ist kurz pausiert. Bitte versuchen Sie es gleich noch einmal.',
    'error.queue_closed': 'Diese Warteschlange ist geschlossen und gibt keine neuen Tickets aus.',
    'error.queue_full': 'Diese Warteschlange ist gerade voll. Bitte versuchen Sie es erneut, wenn sie weitergegangen ist.',
    'error.too_many_tickets': 'Dieses Telefon oder Netz hat schon so viele Tickets für diese Warteschlange, wie ein Gast haben darf. Versuchen Sie es erneut, sobald eines davon bedient wurde.',
    'error.illegal_transition': 'Das geht nicht mehr: Ihr Ticket ist schon weiter.',
    'error.generic': 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
    'error.storage_disk_full': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_read_only': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_io_error': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_busy': 'Die Box ist beschäftigt. Bitte versuchen Sie es gleich noch einmal.',
  },
}

export const strings = Object.fromEntries(Object.keys(base).map((lang) => [lang, { ...base[lang] }]))

export const FALLBACK = 'en'

/** Languages written right to left; the page's `dir` follows the language. */
const RIGHT_TO_LEFT = new Set(['ar', 'he', 'fa', 'ur'])

/** Adds a page group's strings ({lang: {key: text}}) to the dictionary; only known languages. */
export function addStrings(tables) {
  for (const [lang, table] of Object.entries(tables)) {
    if (strings[lang]) Object.assign(strings[lang], table)
  }
}

/** 'rtl' for a right-to-left language, else 'ltr'. */
export function getDirection(lang = current) {
  return RIGHT_TO_LEFT.has(lang) ? 'rtl' : 'ltr'
}

const pluralRules = new Map()

/** The CLDR plural category ('one', 'few', 'many', 'other', …) of `count` in `lang`. */
export function pluralCategory(lang, count) {
  if (!pluralRules.has(lang)) pluralRules.set(lang, new Intl.PluralRules(lang))
  return pluralRules.get(lang).select(count)
}

/** The first supported language in the browser's preference list, else English. */
export function pickLanguage(preferred) {
  let list = preferred
  if (list === undefined && typeof navigator !== 'undefined') {
    list = navigator.languages?.length ? navigator.languages : [navigator.language]
  }
  for (const tag of list ?? []) {
    const primary = String(tag ?? '').toLowerCase().split(/[-_]/)[0]
    if (Object.hasOwn(strings, primary)) return primary
  }
  return FALLBACK
}

let current = pickLanguage()

export function getLanguage() {
  return current
}

/** Switch the language (tests, or a later language picker); unknown ones fall back to English. */
export function setLanguage(lang) {
  current = Object.hasOwn(strings, lang) ? lang : FALLBACK
  return current
}

function lookup(lang, key) {
  return strings[lang]?.[key] ?? strings[FALLBACK][key]
}

function lookupPlural(lang, key, count) {
  const own = strings[lang]
  const variant = own?.[`${key}_${pluralCategory(lang, count)}`] ?? own?.[`${key}_other`]
  if (variant !== undefined) return variant
  const english = strings[FALLBACK]
  return english[`${key}_${pluralCategory(FALLBACK, count)}`] ?? english[`${key}_other`]
}

/** The string for `key` in the current language, with `{param}` filled in. */
export function t(key, params) {
  let template
  if (params && typeof params.count === 'number') {
    template = lookupPlural(current, key, params.count)
  }
  template ??= lookup(current, key) ?? key
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    Object.hasOwn(params, name) ? String(params[name]) : match,
  )
}

/** A server error code as a sentence in the current language, or the server's own text. */
export function errorText(error) {
  const code = error?.code
  if (code && lookup(current, `error.${code}`)) return t(`error.${code}`)
  return error?.message || t('error.generic')
}
