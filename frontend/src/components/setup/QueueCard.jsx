import { useEffect, useRef } from 'react'
import Button from '../Button.jsx'
import CopyLink from '../screens/CopyLink.jsx'
import { absoluteUrl, paths } from '../../lib/screensApi.js'
import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'
import Devices from './Devices.jsx'
import HostLink from './HostLink.jsx'

/** One queue and its links: the host link, the join link and poster, the display, its devices. */
export default function QueueCard({ queue, api, origins, hostUrl, devices, focus, onHostUrl, onDevice, onPoster, onRejected }) {
  const heading = useRef(null)
  useEffect(() => {
    if (focus) heading.current?.focus()
  }, [focus])

  const status = !queue.active ? 'closed' : queue.is_paused ? 'paused' : 'open'
  const headingId = `queue-${queue.id}`
  return (
    <article aria-labelledby={headingId} className="grid gap-6 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-stone-300">
      <header className="grid gap-1">
        <h3 id={headingId} ref={heading} tabIndex={-1} className="text-2xl font-black break-words">
          {queue.name}
        </h3>
        <p className="text-base text-stone-700">
          {t(`setup.status.${status}`)} · {queue.prefix ? t('setup.prefix', { prefix: queue.prefix }) : t('setup.noPrefix')} ·{' '}
          {queue.waiting_count > 0 ? t('setup.waiting', { count: queue.waiting_count }) : t('setup.nobodyWaiting')}
        </p>
      </header>

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
            className="h-40 w-40 shrink-0 rounded-lg bg-white ring-1 ring-stone-300"
          />
          <div className="grid min-w-0 flex-1 basis-60 gap-2">
            <CopyLink url={absoluteUrl(paths.join(queue.id), origins.guest)} label={t('setup.linkOf', { what: t('setup.joinTitle'), name: queue.name })} open />
            <Button kind="secondary" onClick={onPoster}>
              {t('setup.poster')}
            </Button>
          </div>
        </div>
      </section>

      <section className="grid gap-2">
        <h4 className="text-xl font-bold">{t('setup.displayTitle')}</h4>
        <p className="text-base text-stone-700">{t('setup.displayHelp')}</p>
        <CopyLink url={absoluteUrl(paths.display(queue.id), origins.staff)} label={t('setup.linkOf', { what: t('setup.displayTitle'), name: queue.name })} open />
      </section>

      <Devices queue={queue} api={api} origin={origins.staff} devices={devices} onDevice={onDevice} onRejected={onRejected} />
    </article>
  )
}
