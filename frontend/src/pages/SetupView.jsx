// /setup#token=…: the admin's page. Create queues and hand out their links: the host link
// (shown only when it is made), the join link and poster, the display link and kiosk links.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import Button from '../components/Button.jsx'
import CopyLink from '../components/screens/CopyLink.jsx'
import Poster from '../components/screens/Poster.jsx'
import StaffTls, { useTlsInfo } from '../components/screens/StaffTls.jsx'
import Field from '../components/shared/Field.jsx'
import FormCard from '../components/shared/FormCard.jsx'
import TokenForm from '../components/shared/TokenForm.jsx'
import { useAdminToken } from '../components/shared/useAdminToken.js'
import { useSend } from '../components/shared/useSend.js'
import { ADMIN_TOKEN_KEY, absoluteUrl, paths, screensApi } from '../lib/screensApi.js'
import { errorText, t } from '../lib/strings.js'

const PREFIX = /^[A-Za-z0-9]{0,4}$/

/** A QueueOut without the one-time secrets of a QueueCreated answer. */
function publicPart(queue) {
  const { host_token: _token, host_url: _url, ...rest } = queue
  return rest
}

export default function SetupView() {
  const { token, bad, rejected, apply, forget: forgetToken } = useAdminToken(ADMIN_TOKEN_KEY)
  const api = useMemo(() => (token ? screensApi(token) : null), [token])
  const [list, setList] = useState({ status: 'idle', queues: [], error: null })
  const [hostLinks, setHostLinks] = useState({}) // queue id → host_url, known only in this session
  const [devices, setDevices] = useState({}) // queue id → [DeviceCreated]
  const [posterId, setPosterId] = useState(null)
  const [created, setCreated] = useState(null)
  const tls = useTlsInfo()
  // Staff links (display, kiosk) use the box's https address; guests' links its plain-http one.
  const origins = { staff: tls?.staff_url ?? globalThis.location?.origin ?? '', guest: tls?.public_url ?? globalThis.location?.origin ?? '' }

  const load = useCallback(async () => {
    if (!api) return
    setList((l) => ({ ...l, status: 'loading', error: null }))
    try {
      const answer = await api.listQueues()
      setList({ status: 'ready', queues: Array.isArray(answer?.queues) ? answer.queues : [], error: null })
    } catch (err) {
      if (!rejected(err)) setList((l) => ({ ...l, status: 'error', error: err }))
    }
  }, [api, rejected])

  useEffect(() => {
    load()
  }, [load])

  function forget() {
    forgetToken()
    setList({ status: 'idle', queues: [], error: null })
  }

  function onCreated(queue) {
    setHostLinks((links) => ({ ...links, [queue.id]: queue.host_url }))
    setList((l) => ({ ...l, queues: [publicPart(queue), ...l.queues.filter((q) => q.id !== queue.id)] }))
    setCreated(queue)
  }

  const poster = posterId ? list.queues.find((q) => q.id === posterId) : null
  if (poster) return <Poster queue={poster} origin={origins.guest} onBack={() => setPosterId(null)} />

  return (
    <div className="min-h-dvh bg-stone-50 text-stone-900">
      <main className="mx-auto flex w-full max-w-3xl flex-col gap-8 px-4 py-6">
        <h1 className="text-3xl font-black">{t('setup.title')}</h1>
        <StaffTls info={tls} token={token} />

        {!api ? (
          <TokenForm keys="setup" bad={bad} onToken={apply} />
        ) : (
          <>
            <CreateQueue api={api} onCreated={onCreated} onRejected={rejected} />

            <section aria-labelledby="queues-title" className="grid gap-4">
              <h2 id="queues-title" className="text-2xl font-bold">
                {t('setup.queuesTitle')}
              </h2>
              {created ? (
                <p role="status" className="rounded-xl bg-emerald-100 p-4 text-lg font-semibold text-emerald-950 ring-2 ring-emerald-700">
                  {t('setup.created', { name: created.name })}
                </p>
              ) : null}
              {list.status === 'error' ? (
                <div role="alert" className="grid gap-3 rounded-xl bg-red-50 p-4 ring-2 ring-red-800">
                  <p className="text-lg font-semibold text-red-900">{errorText(list.error)}</p>
                  <Button kind="secondary" onClick={load}>
                    {t('setup.retry')}
                  </Button>
                </div>
              ) : null}
              {list.status === 'loading' && !list.queues.length ? <p className="text-lg">{t('setup.loading')}</p> : null}
              {list.status === 'ready' && !list.queues.length ? <p className="text-lg">{t('setup.noQueues')}</p> : null}
              {list.queues.map((queue) => (
                <QueueCard
                  key={queue.id}
                  queue={queue}
                  api={api}
                  origins={origins}
                  hostUrl={hostLinks[queue.id] ?? null}
                  devices={devices[queue.id] ?? []}
                  focus={created?.id === queue.id}
                  onHostUrl={(url) => setHostLinks((links) => ({ ...links, [queue.id]: url }))}
                  onDevice={(device) => setDevices((all) => ({ ...all, [queue.id]: [...(all[queue.id] ?? []), device] }))}
                  onPoster={() => setPosterId(queue.id)}
                  onRejected={rejected}
                />
              ))}
            </section>

            <div>
              <button
                type="button"
                onClick={forget}
                className="min-h-12 text-base font-semibold text-blue-900 underline underline-offset-4"
              >
                {t('setup.forget')}
              </button>
            </div>
          </>
        )}
      </main>
    </div>
  )
}

function CreateQueue({ api, onCreated, onRejected }) {
  const [name, setName] = useState('')
  const [prefix, setPrefix] = useState('')
  const { busy, problems, failure, send } = useSend(onRejected)

  function submit(event) {
    event.preventDefault()
    const found = {}
    if (!name.trim()) found.name = t('setup.nameRequired')
    if (!PREFIX.test(prefix.trim())) found.prefix = t('setup.prefixInvalid')
    send(found, async () => {
      const queue = await api.createQueue({ name: name.trim(), prefix: prefix.trim() })
      setName('')
      setPrefix('')
      onCreated(queue)
    })
  }

  return (
    <FormCard
      titleId="create-title"
      title={t('setup.createTitle')}
      failure={failure}
      busy={busy}
      submitText={busy ? t('setup.creating') : t('setup.create')}
      onSubmit={submit}
    >
      <Field
        id="queue-name"
        label={t('setup.nameLabel')}
        hint={t('setup.nameHint')}
        error={problems.name}
        value={name}
        maxLength={80}
        required
        onChange={(event) => setName(event.target.value)}
      />
      <Field
        id="queue-prefix"
        label={t('setup.prefixLabel')}
        hint={t('setup.prefixHint')}
        error={problems.prefix}
        value={prefix}
        maxLength={4}
        autoCapitalize="characters"
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => setPrefix(event.target.value)}
      />
    </FormCard>
  )
}

function QueueCard({ queue, api, origins, hostUrl, devices, focus, onHostUrl, onDevice, onPoster, onRejected }) {
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
          {t('setup.waiting', { count: queue.waiting_count ?? 0 })}
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

/** A QR of a link with a secret in it (the host link): drawn by the box, shown as a data: image. */
function LinkQr({ api, url, alt }) {
  const [src, setSrc] = useState(null)
  useEffect(() => {
    let live = true
    setSrc(null)
    api
      .linkQr(url)
      .then((answer) => live && setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(answer.svg)}`))
      .catch(() => {}) // the link text above is enough; a missing QR is not an error to shout about
    return () => {
      live = false
    }
  }, [api, url])
  if (!src) return null
  return <img src={src} alt={alt} className="h-48 w-48 bg-white p-2" />
}

function HostLink({ queue, api, hostUrl, onHostUrl, onRejected }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState(null)

  async function rotate() {
    setBusy(true)
    setFailure(null)
    try {
      const answer = await api.rotateHostToken(queue.id)
      onHostUrl(answer.host_url)
      setConfirming(false)
    } catch (err) {
      if (!onRejected(err)) setFailure(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="grid gap-2">
      <h4 className="text-xl font-bold">{t('setup.hostTitle')}</h4>
      <p className="text-base text-stone-700">{t('setup.hostHelp')}</p>
      {hostUrl ? (
        <>
          <p className="rounded-lg bg-amber-100 p-3 text-base font-semibold text-stone-950 ring-2 ring-amber-600">{t('setup.hostOnce')}</p>
          <CopyLink url={hostUrl} label={t('setup.linkOf', { what: t('setup.hostTitle'), name: queue.name })} open />
          <LinkQr api={api} url={hostUrl} alt={t('setup.hostQrAlt', { name: queue.name })} />
        </>
      ) : (
        <p className="text-base">{t('setup.hostUnknown')}</p>
      )}
      {confirming ? (
        <div className="grid gap-3 rounded-xl border-2 border-red-800 p-4">
          <p className="text-lg font-semibold">{t('setup.hostRotateWarn')}</p>
          <div className="flex flex-wrap gap-3">
            <Button kind="danger" onClick={rotate} disabled={busy} className="w-auto flex-1">
              {busy ? t('setup.rotating') : t('setup.hostRotateConfirm')}
            </Button>
            <Button kind="secondary" onClick={() => setConfirming(false)} disabled={busy} className="w-auto flex-1">
              {t('setup.cancel')}
            </Button>
          </div>
        </div>
      ) : (
        <div>
          <Button kind="secondary" onClick={() => setConfirming(true)} className="w-auto">
            {t('setup.hostRotate')}
          </Button>
        </div>
      )}
      {failure ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {failure}
        </p>
      ) : null}
    </section>
  )
}

function Devices({ queue, api, origin, devices, onDevice, onRejected }) {
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(null) // the kind being added
  const [failure, setFailure] = useState(null)
  const inputId = `device-name-${queue.id}`

  async function add(kind) {
    setBusy(kind)
    setFailure(null)
    const fallback = kind === 'kiosk' ? t('setup.defaultKiosk') : t('setup.defaultDisplay')
    try {
      const device = await api.addDevice(queue.id, { name: name.trim() || fallback, kind })
      setName('')
      onDevice(device)
    } catch (err) {
      if (!onRejected(err)) setFailure(errorText(err))
    } finally {
      setBusy(null)
    }
  }

  return (
    <section className="grid gap-3">
      <h4 className="text-xl font-bold">{t('setup.devicesTitle')}</h4>
      <p className="text-base text-stone-700">{t('setup.devicesHelp')}</p>
      <div className="grid gap-1">
        <label htmlFor={inputId} className="text-lg font-semibold">
          {t('setup.deviceName')}
        </label>
        <input
          id={inputId}
          value={name}
          maxLength={80}
          onChange={(event) => setName(event.target.value)}
          className="min-h-12 rounded-lg border-2 border-stone-500 bg-white px-3 text-lg"
        />
      </div>
      <div className="flex flex-wrap gap-3">
        <Button onClick={() => add('kiosk')} disabled={busy !== null} className="w-auto flex-1">
          {busy === 'kiosk' ? t('setup.adding') : t('setup.addKiosk')}
        </Button>
        <Button onClick={() => add('display')} disabled={busy !== null} className="w-auto flex-1">
          {busy === 'display' ? t('setup.adding') : t('setup.addDisplay')}
        </Button>
      </div>
      {failure ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {failure}
        </p>
      ) : null}
      {devices.length ? (
        <ul className="grid gap-4">
          {devices.map((device) => {
            const kiosk = device.kind === 'kiosk'
            const title = kiosk ? t('setup.kioskAdded', { name: device.name }) : t('setup.displayAdded', { name: device.name })
            return (
              <li key={device.id} className="grid gap-2 rounded-xl bg-stone-100 p-4">
                <p className="text-lg font-bold">{title}</p>
                <p className="text-base">{kiosk ? t('setup.kioskOnce') : t('setup.displayOnce')}</p>
                <CopyLink
                  url={absoluteUrl(kiosk ? paths.kiosk(queue.id, device.token) : paths.display(queue.id), origin)}
                  label={title}
                />
                {kiosk ? (
                  <>
                    <p className="text-base">{t('setup.kioskPrinter')}</p>
                    <pre className="overflow-x-auto rounded-lg bg-white p-3 text-sm">
                      {`QODE_KIOSK_QUEUE=${queue.id}\nQODE_KIOSK_TOKEN=${device.token}`}
                    </pre>
                  </>
                ) : null}
              </li>
            )
          })}
        </ul>
      ) : null}
    </section>
  )
}
