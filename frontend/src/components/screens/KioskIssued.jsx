// The kiosk's issued screen: the number and its QR code always in view, whatever the screen
// (side by side in landscape, stacked in portrait, a phone-sized window, 200% text), and what
// happens to the paper ticket. The QR code takes the room that is left, so it shrinks first;
// the number is sized to its column (three fifths of a landscape screen) and never below legibility.
import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import KioskPhone from './KioskPhone.jsx'
import FitWords from '../FitWords.jsx'
import { paths } from '../../lib/screensApi.js'
import { t } from '../../lib/strings.js'
import { printNews, usePrintJob } from './usePrintJob.js'

/**
 * The number's width in ems in a heavy sans-serif, a little over DejaVu Sans Bold's advances
 * (digits 0.70, capitals at most 0.84, M 1.0, W 1.1): its column's width divided by
 * this is the largest font size that keeps it on one line.
 */
function numberEms(text) {
  let ems = 0
  for (const ch of String(text)) ems += /\d/.test(ch) ? 0.72 : /[MW]/i.test(ch) ? 1.12 : 0.86
  return Math.max(ems, 1)
}

const NEWS_STYLE = {
  none: 'bg-white text-stone-950 ring-2 ring-stone-400',
  printing: 'bg-white text-stone-950 ring-2 ring-stone-400',
  done: 'bg-emerald-100 text-emerald-950 ring-2 ring-emerald-800',
  trouble: 'bg-amber-100 text-stone-950 ring-4 ring-amber-700',
}

/** The issued number with its QR code, the paper ticket's news, and a countdown back to the start. */
export default function KioskIssued({ ticket, api, resetAfter, onReset }) {
  const [left, setLeft] = useState(resetAfter)
  const done = useRef(null)
  const job = usePrintJob(api, ticket.print_job)
  // issue 16: sms. Offered only where the box has a modem; the countdown waits while the keypad is open.
  const [phoneAvailable, setPhoneAvailable] = useState(false)
  const [phoneOpen, setPhoneOpen] = useState(false)
  useEffect(() => {
    if (ticket.status !== 'WAITING') return undefined
    let live = true
    api
      .request('GET', `/api/tickets/${encodeURIComponent(ticket.id)}/phone`)
      .then((answer) => {
        if (live) setPhoneAvailable(answer?.available === true)
      })
      .catch(() => {}) // no modem, an older box, or offline: no offer
    return () => {
      live = false
    }
  }, [api, ticket.id, ticket.status])

  useEffect(() => {
    if (phoneOpen) return undefined
    const started = Date.now()
    const timer = setInterval(() => {
      const rest = resetAfter - Math.floor((Date.now() - started) / 1000)
      if (rest <= 0) onReset()
      else setLeft(rest)
    }, 250)
    return () => clearInterval(timer)
  }, [resetAfter, onReset, phoneOpen])

  // In the same commit as the button, so a keyboard or switch user never lands on the page body.
  useLayoutEffect(() => {
    done.current?.focus()
  }, [])

  const number = ticket.display_number
  const news = printNews(job)
  return (
    <main
      aria-labelledby="your-number"
      className="flex h-dvh flex-col gap-3 bg-stone-50 p-3 text-center text-stone-900 select-none sm:gap-5 sm:p-5"
    >
      <div className="flex min-h-0 flex-1 flex-col gap-3 landscape:flex-row landscape:gap-8">
        <div className="flex flex-col items-center justify-center gap-2 [container-type:inline-size] landscape:flex-[3] landscape:basis-0">
          <h1 id="your-number" className="text-xl font-semibold tracking-wide text-stone-700 uppercase sm:text-3xl sm:portrait:text-4xl">
            {t('kiosk.yourNumber')}
          </h1>
          <p
            dir="ltr"
            data-testid="kiosk-number"
            style={{ '--ems': numberEms(number) }}
            className="font-black leading-none whitespace-nowrap tabular-nums [font-size:min(16vh,calc(100cqw/var(--ems)))] landscape:[font-size:min(26vh,calc(100cqw/var(--ems)))]"
          >
            {number}
          </p>
          {/* issue 15: the service this number belongs to, and a priority ticket says so */}
          {ticket.service?.name ? (
            <FitWords
              as="p"
              data-testid="kiosk-service"
              text={ticket.service.name}
              className="w-full leading-tight font-bold [--fit-max:1.5rem] sm:[--fit-max:2.25rem] sm:portrait:[--fit-max:3rem]"
            />
          ) : null}
          {ticket.priority ? <p className="text-lg font-semibold sm:text-2xl">{t('kiosk.priorityIssued')}</p> : null}
          {ticket.status === 'WAITING' ? (
            <p className="text-lg sm:text-2xl sm:portrait:text-3xl">
              {ticket.people_ahead > 0 ? t('ticket.peopleAhead', { count: ticket.people_ahead }) : t('ticket.nobodyAhead')}
            </p>
          ) : null}
        </div>
        <div className="flex min-h-[7rem] flex-1 flex-col items-center gap-2 landscape:flex-[2] landscape:basis-0">
          <div className="grid min-h-0 w-full flex-1 place-items-center [container-type:size]">
            <img
              data-testid="kiosk-qr"
              src={paths.ticketQr(ticket.id)}
              alt={t('kiosk.qrAlt', { number })}
              className="size-[min(100cqw,100cqh)] rounded-2xl bg-white p-[3%] ring-2 ring-stone-300"
            />
          </div>
          <p className="text-lg font-bold sm:text-2xl sm:portrait:text-3xl">{t('kiosk.scan')}</p>
        </div>
      </div>
      <p
        data-testid="kiosk-print"
        role={news.kind === 'trouble' ? 'alert' : 'status'}
        className={`rounded-2xl px-4 py-2 text-xl font-bold sm:text-3xl sm:portrait:text-4xl ${NEWS_STYLE[news.kind]}`}
      >
        {t(news.key)}
        {news.kind === 'trouble' ? ` ${t('kiosk.print.remember', { number })}` : null}
      </p>
      {phoneAvailable ? (
        <button
          type="button"
          data-testid="kiosk-phone-open"
          onClick={() => setPhoneOpen(true)}
          className="min-h-14 w-full rounded-2xl border-4 border-stone-800 bg-white px-6 py-2 text-2xl font-bold text-stone-950 hover:bg-stone-100 focus-visible:outline-8 focus-visible:outline-offset-4 focus-visible:outline-blue-700 sm:text-3xl"
        >
          {t('kiosk.phone.open')}
        </button>
      ) : null}
      {phoneOpen ? (
        <KioskPhone
          ticketId={ticket.id}
          send={(id, phone) => api.request('PUT', `/api/tickets/${encodeURIComponent(id)}/phone`, { body: { phone } })}
          onClose={() => {
            setLeft(resetAfter) // the countdown starts again from the top
            setPhoneOpen(false)
            requestAnimationFrame(() => done.current?.focus())
          }}
        />
      ) : null}
      <button
        ref={done}
        type="button"
        onClick={onReset}
        className="flex min-h-14 w-full flex-wrap items-baseline justify-center gap-x-4 rounded-2xl border-4 border-stone-800 bg-white px-6 py-2 text-2xl font-black text-stone-950 hover:bg-stone-100 focus-visible:outline-8 focus-visible:outline-offset-4 focus-visible:outline-blue-700 sm:text-3xl sm:portrait:text-4xl"
      >
        <span>{t('kiosk.done')}</span>
        <span className="text-lg font-semibold sm:portrait:text-2xl" aria-live="off">
          {t('kiosk.resetIn', { count: left })}
        </span>
      </button>
      <div aria-live="polite" className="sr-only">
        {t('kiosk.announce', { number })}
      </div>
    </main>
  )
}
