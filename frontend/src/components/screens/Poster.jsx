import { useEffect, useRef } from 'react'
import { absoluteUrl, paths } from '../../lib/screensApi.js'
import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

/**
 * An A4 poster for the wall: the queue's name, "Scan to join" and the join QR code, big.
 * On screen it is a preview with Print and Back; in print only the sheet remains.
 */
export default function Poster({ queue, origin, onBack }) {
  const printButton = useRef(null)
  useEffect(() => {
    printButton.current?.focus()
  }, [])
  const joinUrl = absoluteUrl(paths.join(queue.id), origin) // guests: the plain-http address

  return (
    <div className="min-h-dvh bg-stone-200 text-stone-950 print:bg-white">
      <div className="sticky top-0 z-10 flex flex-wrap items-center gap-3 bg-white p-3 shadow print:hidden">
        <button
          ref={printButton}
          type="button"
          onClick={() => globalThis.print?.()}
          className="min-h-12 rounded-xl bg-blue-800 px-5 text-lg font-semibold text-white hover:bg-blue-900"
        >
          {t('poster.print')}
        </button>
        <button
          type="button"
          onClick={onBack}
          className="min-h-12 rounded-xl border-2 border-stone-700 bg-white px-5 text-lg font-semibold text-stone-900 hover:bg-stone-100"
        >
          {t('poster.back')}
        </button>
        <p className="text-base text-stone-800">{t('poster.help')}</p>
      </div>

      <article className="mx-auto my-4 flex aspect-[210/297] w-full max-w-[210mm] flex-col items-center justify-center gap-[3%] bg-white p-[7%] text-center text-black shadow-lg print:m-0 print:aspect-auto print:h-[268mm] print:max-w-none print:p-0 print:shadow-none">
        <h1 className="text-[clamp(1.75rem,8vw,4.5rem)] font-black leading-tight wrap-anywhere print:text-[46pt]">
          {queue.name}
        </h1>
        <p className="text-[clamp(1.5rem,7vw,4rem)] font-bold leading-tight print:text-[40pt]">{t('poster.scan')}</p>
        <img
          src={paths.joinQr(queue.id)}
          alt={t('poster.qrAlt', { name: queue.name })}
          className="aspect-square h-auto w-[72%] print:w-[140mm]"
        />
        <p className="text-[clamp(1rem,3.6vw,1.75rem)] font-semibold print:text-[18pt]">{t('poster.body')}</p>
        <p className="font-mono text-[clamp(0.7rem,2.4vw,1.1rem)] break-all print:text-[11pt]">
          {t('poster.orOpen', { url: joinUrl })}
        </p>
      </article>
    </div>
  )
}
