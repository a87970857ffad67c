import { useEffect, useRef, useState } from 'react'
import Button from '../Button.jsx'
import CopyLink from '../screens/CopyLink.jsx'
import { absoluteUrl, paths } from '../../lib/screensApi.js'
import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'
import Devices from './Devices.jsx'
import { withVoice } from '../screens/announcer.js'
import DisplayVoice from './DisplayVoice.jsx'
import HostLink from './HostLink.jsx'
import NearlyUp from './NearlyUp.jsx'

/**
 * One queue: a one-line summary (name, status, prefix, waiting) that opens its details (a native
 * disclosure, so many queues stay short): the host link, the join link and poster, the display,
 * its devices. Wide screens lay the details out in two columns.
 */
export default function QueueCard({ queue, api, origins, hostUrl, devices, focus, open, onHostUrl, onDevice, onPoster, onDisplayOpened, onRejected, onQueue, services }) {
  const summary = useRef(null)
  const [voice, setVoice] = useState(true) // issue 16: the TV link speaks the calls, or `voice=off`
  const details = useRef(null)
  useEffect(() => {
    if (!focus) return
    if (details.current) details.current.open = true
    summary.current?.focus()
  }, [focus])

  const status = !queue.active ? 'closed' : queue.is_paused ? 'paused' : 'open'
  const headingId = `queue-${queue.id}`
  return (
    <article aria-labelledby={headingId} className="rounded-2xl bg-white shadow-sm ring-1 ring-stone-300">
      <details ref={details} open={open} className="group">
        <summary
          ref={summary}
          className="flex min-h-12 cursor-pointer list-none flex-wrap items-center gap-x-4 gap-y-1 rounded-2xl p-4 hover:bg-stone-50 focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700 [&::-webkit-details-marker]:hidden"
        >
          <span aria-hidden="true" className="text-xl text-stone-700 transition-transform group-open:rotate-90 motion-reduce:transition-none">
            ▶
          </span>
          <h3 id={headingId} className="min-w-0 text-2xl font-black wrap-anywhere">
            {queue.name}
          </h3>
          <span className="text-base text-stone-700">
            {t(`setup.status.${status}`)} · {queue.prefix ? t('setup.prefix', { prefix: queue.prefix }) : t('setup.noPrefix')} ·{' '}
            {queue.waiting_count > 0 ? t('setup.waiting', { count: queue.waiting_count }) : t('setup.nobodyWaiting')}
          </span>
        </summary>

        <div className="grid gap-6 border-t border-stone-200 p-5 2xl:grid-cols-2">
          <div className="grid content-start gap-6">
            <HostLink queue={queue} api={api} hostUrl={hostUrl} onHostUrl={onHostUrl} onRejected={onRejected} />

            <section className="grid gap-2">
              <h4 className="text-xl font-bold">{t('setup.joinTitle')}</h4>
              <p className="text-base text-stone-700">{t('setup.joinHelp')}</p>
              <div className="flex flex-wrap items-start gap-4">
                <img
                  src={paths.joinQr(queue.id)}
                  alt={t('setup.joinQrAlt', { name: queue.name })}
                  width="160"
                  height="160"
                  className="h-auto w-40 max-w-full shrink-0 rounded-lg bg-white ring-1 ring-stone-300"
                />
                <div className="grid min-w-0 flex-1 basis-60 gap-2">
                  <CopyLink url={absoluteUrl(paths.join(queue.id), origins.guest)} label={t('setup.linkOf', { what: t('setup.joinTitle'), name: queue.name })} open />
                  <Button kind="secondary" onClick={onPoster}>
                    {t('setup.poster')}
                  </Button>
                </div>
              </div>
            </section>
          </div>

          <div className="grid content-start gap-6">
            <section className="grid gap-2">
              <h4 className="text-xl font-bold">{t('setup.displayTitle')}</h4>
              <p className="text-base text-stone-700">{t('setup.displayHelp')}</p>
              <CopyLink
                url={absoluteUrl(withVoice(paths.display(queue.id), voice), origins.staff)}
                label={t('setup.linkOf', { what: t('setup.displayTitle'), name: queue.name })}
                open
                onOpen={onDisplayOpened}
              />
              <DisplayVoice api={api} on={voice} onChange={setVoice} />
            </section>

            <NearlyUp queue={queue} api={api} onSaved={onQueue} onRejected={onRejected} />

            <Devices queue={queue} api={api} origin={origins.staff} devices={devices} onDevice={onDevice} onRejected={onRejected} services={services} />
          </div>
        </div>
      </details>
    </article>
  )
}
