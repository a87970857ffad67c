// /setup#token=…: the admin's page. Create queues and hand out their links: the host link
// (shown only when it is made), the join link and poster, the display link and kiosk links.
import { useCallback, useEffect, useMemo, useState } from 'react'
import Button from '../components/Button.jsx'
import Poster from '../components/screens/Poster.jsx'
import StaffTls from '../components/screens/StaffTls.jsx'
import { useTlsInfo } from '../components/screens/useTlsInfo.js'
import Counters from '../components/setup/Counters.jsx'
import CreateQueue from '../components/setup/CreateQueue.jsx'
import FirstRun from '../components/setup/FirstRun.jsx'
import QueueCard from '../components/setup/QueueCard.jsx'
import ServiceScreens from '../components/setup/ServiceScreens.jsx'
import StaffLinks from '../components/setup/StaffLinks.jsx'
import VenueSettings from '../components/setup/VenueSettings.jsx'
import TokenForm from '../components/shared/TokenForm.jsx'
import { useAdminToken } from '../components/shared/useAdminToken.js'
import { useVenueTitle } from '../hooks/useVenue.js'
import { absoluteUrl, ADMIN_TOKEN_KEY, paths, screensApi } from '../lib/screensApi.js'
import { errorText, t } from '../lib/strings.js'
import '../lib/strings.screens.js'

/** A QueueOut without the one-time secrets of a QueueCreated answer. */
function publicPart(queue) {
  const { host_token: _token, host_url: _url, ...rest } = queue
  return rest
}

// The first-run path's progress on this browser: {started, poster, tv}.
const FIRST_RUN_KEY = 'qode.setup.firstRun'

function readFirstRun() {
  try {
    const value = JSON.parse(globalThis.localStorage?.getItem(FIRST_RUN_KEY) ?? 'null')
    return value && typeof value === 'object' ? value : {}
  } catch {
    return {}
  }
}

function useFirstRun() {
  const [steps, setSteps] = useState(readFirstRun)
  const mark = useCallback((changes) => {
    setSteps((old) => {
      const next = { ...old, ...changes }
      try {
        globalThis.localStorage?.setItem(FIRST_RUN_KEY, JSON.stringify(next))
      } catch {
        // private mode: the steps are remembered for this visit only
      }
      return next
    })
  }, [])
  return [steps, mark]
}

export default function SetupView() {
  const { token, bad, rejected, apply, forget: forgetToken } = useAdminToken(ADMIN_TOKEN_KEY)
  const api = useMemo(() => (token ? screensApi(token) : null), [token])
  const [list, setList] = useState({ status: 'idle', queues: [], error: null })
  const [hostLinks, setHostLinks] = useState({}) // queue id → host_url, known only in this session
  const [devices, setDevices] = useState({}) // queue id → [DeviceCreated]
  const [posterId, setPosterId] = useState(null)
  const [created, setCreated] = useState(null)
  const [steps, markStep] = useFirstRun()
  const tls = useTlsInfo()
  useVenueTitle(t('setup.title'))
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

  // A box with no queue starts the first-run path; it stays until its three steps are done.
  const noQueue = list.status === 'ready' && !list.queues.length
  useEffect(() => {
    if (noQueue && !steps.started) markStep({ started: true })
  }, [noQueue, steps.started, markStep])

  function forget() {
    forgetToken()
    setList({ status: 'idle', queues: [], error: null })
  }

  function onCreated(queue) {
    setHostLinks((links) => ({ ...links, [queue.id]: queue.host_url }))
    setList((l) => ({ ...l, queues: [publicPart(queue), ...l.queues.filter((q) => q.id !== queue.id)] }))
    setCreated(queue)
  }

  function openPoster(queueId) {
    markStep({ poster: true })
    setPosterId(queueId)
  }
  const tvOpened = () => markStep({ tv: true })

  // Issue 15: the queues are the box's services; counters, staff links and screens span them.
  const services = useMemo(
    () => list.queues.filter((q) => q.active !== false).sort((a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0)),
    [list.queues],
  )

  const poster = posterId ? list.queues.find((q) => q.id === posterId) : null
  if (poster) return <Poster queue={poster} origin={origins.guest} onBack={() => setPosterId(null)} />

  const firstQueue = list.queues.length ? list.queues[list.queues.length - 1] : null // the oldest
  const done = { queue: Boolean(firstQueue), poster: Boolean(steps.poster), tv: Boolean(steps.tv) }
  const guide = list.status === 'ready' && (noQueue || (steps.started && !(done.poster && done.tv)))

  return (
    <div className="min-h-dvh bg-stone-50 text-stone-900">
      <main className="@container mx-auto flex w-full max-w-[120rem] flex-col gap-8 px-4 py-6 lg:px-8">
        <h1 className="text-3xl font-black">{t('setup.title')}</h1>
        <StaffTls info={tls} token={token} />

        {!api ? (
          <div className="max-w-3xl">
            <TokenForm keys="setup" bad={bad} onToken={apply} />
          </div>
        ) : (
          // From 64rem of the page's own width (counted in its text size, so 200 % text on a 1280 px
          // screen keeps one column): the queues on the left, making a queue (and the venue) on the right.
          <div className="grid items-start gap-8 @min-[64rem]:grid-cols-[minmax(0,1fr)_minmax(22rem,30rem)]">
            <aside aria-label={t('setup.sideTitle')} className="grid content-start gap-8 @min-[64rem]:col-start-2 @min-[64rem]:row-start-1">
              <CreateQueue api={api} onCreated={onCreated} onRejected={rejected} />
              <VenueSettings api={api} onRejected={rejected} />
              <div>
                <button
                  type="button"
                  onClick={forget}
                  className="min-h-12 text-base font-semibold text-blue-900 underline underline-offset-4"
                >
                  {t('setup.forget')}
                </button>
              </div>
            </aside>

            <div className="grid min-w-0 content-start gap-8 @min-[64rem]:col-start-1 @min-[64rem]:row-start-1">
              {guide ? (
                <FirstRun
                  done={done}
                  queue={firstQueue}
                  displayUrl={firstQueue ? absoluteUrl(paths.display(firstQueue.id), origins.staff) : ''}
                  onPoster={() => firstQueue && openPoster(firstQueue.id)}
                  onDisplayOpened={tvOpened}
                />
              ) : null}

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
                {noQueue ? <p className="text-lg">{t('setup.noQueues')}</p> : null}
                {list.queues.map((queue) => (
                  <QueueCard
                    key={queue.id}
                    queue={queue}
                    api={api}
                    origins={origins}
                    hostUrl={hostLinks[queue.id] ?? null}
                    devices={devices[queue.id] ?? []}
                    focus={created?.id === queue.id}
                    // One queue: open. Several: closed (one line each) but the one just made.
                    open={list.queues.length === 1 || created?.id === queue.id}
                    onHostUrl={(url) => setHostLinks((links) => ({ ...links, [queue.id]: url }))}
                    onDevice={(device) => setDevices((all) => ({ ...all, [queue.id]: [...(all[queue.id] ?? []), device] }))}
                    onPoster={() => openPoster(queue.id)}
                    onDisplayOpened={tvOpened}
                    onRejected={rejected}
                    onQueue={(saved) => setList((l) => ({ ...l, queues: l.queues.map((q) => (q.id === saved?.id ? { ...q, ...saved } : q)) }))}
                    services={services}
                  />
                ))}
              </section>

              {services.length ? (
                // Side by side on a wide screen, so setup stays about a screen tall (issue 14)
                <div className="grid min-w-0 items-start gap-8 2xl:grid-cols-3">
                  <Counters api={api} services={services} onRejected={rejected} />
                  <StaffLinks api={api} services={services} onRejected={rejected} />
                  <ServiceScreens api={api} services={services} origins={origins} onRejected={rejected} />
                </div>
              ) : null}
            </div>
          </div>
        )}
      </main>
    </div>
  )
}
