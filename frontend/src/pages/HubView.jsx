// /hub#token=…: the hub's sites page, for someone watching several venues. One card per site
// (contact, queues, today's and yesterday's figures, today's waits per hour, CSV downloads),
// refreshed every 30 s and when the page comes back into view, and "Add a site", which shows
// the new box's key once. The hub's admin token leaves the fragment for localStorage.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import Button from '../components/Button.jsx'
import AddSite from '../components/hub/AddSite.jsx'
import { contactLevel } from '../components/hub/format.js'
import SiteCard from '../components/hub/SiteCard.jsx'
import TokenForm from '../components/shared/TokenForm.jsx'
import { useAdminToken } from '../components/shared/useAdminToken.js'
import { useNow } from '../hooks/useNow.js'
import { HUB_TOKEN_KEY, hubApi, saveBlob } from '../lib/hubApi.js'
import { absoluteUrl } from '../lib/screensApi.js'
import { errorText, t } from '../lib/strings.js'
import '../lib/strings.hub.js'
import { clockTime } from '../lib/time.js'

export const REFRESH_MS = 30 * 1000

export default function HubView() {
  const { token, bad, rejected, apply, forget } = useAdminToken(HUB_TOKEN_KEY)

  return (
    <div className="min-h-dvh bg-stone-50 text-stone-900">
      <main className="mx-auto flex w-full max-w-6xl flex-col gap-8 px-4 py-6">
        <header className="grid gap-1">
          <h1 className="text-3xl font-black">{t('hub.title')}</h1>
          <p className="text-lg text-stone-700">{t('hub.intro')}</p>
        </header>
        {token ? (
          <Sites key={token} token={token} onRejected={rejected} onForget={forget} />
        ) : (
          <TokenForm keys="hub" bad={bad} onToken={apply} />
        )}
      </main>
    </div>
  )
}

/** The sites of one token: loaded now, every 30 s while the page is visible, and when it comes back into view. */
function Sites({ token, onRejected, onForget }) {
  const api = useMemo(() => hubApi(token), [token])
  const [data, setData] = useState({ sites: null, loadedAt: null, failure: null, notHub: false })
  const [loading, setLoading] = useState(false)
  const busy = useRef(false)
  const live = useRef(true)
  const now = useNow(15000)

  useEffect(() => {
    live.current = true
    return () => {
      live.current = false
    }
  }, [])

  const load = useCallback(async () => {
    if (busy.current) return
    busy.current = true
    setLoading(true)
    try {
      const answer = await api.listSites()
      if (!live.current) return
      setData({ sites: Array.isArray(answer?.sites) ? answer.sites : [], loadedAt: Date.now(), failure: null, notHub: false })
    } catch (err) {
      if (!live.current || onRejected(err)) return
      // Not a hub (an older box, or a venue's box): no such page there.
      if (err?.status === 404) setData((d) => ({ ...d, notHub: true }))
      // The last good list stays on screen; the message says how old it is.
      else setData((d) => ({ ...d, failure: { error: err, at: Date.now() } }))
    } finally {
      busy.current = false
      if (live.current) setLoading(false)
    }
  }, [api, onRejected])

  useEffect(() => {
    load()
    const timer = setInterval(() => {
      if (globalThis.document?.visibilityState !== 'hidden') load()
    }, REFRESH_MS)
    const onVisible = () => {
      if (globalThis.document?.visibilityState !== 'hidden') load()
    }
    globalThis.document?.addEventListener('visibilitychange', onVisible)
    return () => {
      clearInterval(timer)
      globalThis.document?.removeEventListener('visibilitychange', onVisible)
    }
  }, [load])

  const download = useCallback(
    async (site, day, kind = 'tickets') => {
      try {
        const figures = kind === 'figures'
        const { blob, filename } = await (figures ? api.statsCsv : api.exportCsv)(site.device_id, day)
        saveBlob(blob, filename ?? `qode-${site.device_id}-${figures ? 'stats-' : ''}${day}.csv`)
        return { ok: true }
      } catch (err) {
        if (onRejected(err)) return { ok: false }
        return { ok: false, message: errorText(err) }
      }
    },
    [api, onRejected],
  )

  function added(site) {
    // Shown at once (not in contact yet); the refresh brings what the hub knows.
    setData((d) => ({
      ...d,
      sites: [...(d.sites ?? []).filter((s) => s.device_id !== site.device_id), { ...site, last_seen: null, queues: [] }],
    }))
    load()
  }

  if (data.notHub) {
    return (
      <section role="alert" className="grid gap-3 rounded-2xl bg-white p-5 shadow-sm ring-2 ring-red-800">
        <h2 className="text-2xl font-bold">{t('hub.notHubTitle')}</h2>
        <p className="text-lg">{t('hub.notHubBody')}</p>
      </section>
    )
  }

  const { sites, failure, loadedAt } = data
  const stale = (sites ?? []).filter((site) => contactLevel(site.last_seen, now) === 'stale').length

  return (
    <>
      <section aria-labelledby="hub-sites-title" className="grid gap-4">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id="hub-sites-title" className="text-2xl font-bold">
            {t('hub.sitesTitle')}
          </h2>
          {sites ? (
            <Button kind="secondary" className="w-auto!" disabled={loading} onClick={load}>
              {loading ? t('hub.refreshing') : t('hub.refresh')}
            </Button>
          ) : null}
        </div>

        {sites === null && failure ? (
          <div role="alert" className="grid gap-3 rounded-xl bg-red-50 p-4 ring-2 ring-red-800">
            <p className="text-lg font-semibold text-red-900">{t('hub.loadFailed', { reason: errorText(failure.error) })}</p>
            <Button kind="secondary" disabled={loading} onClick={load}>
              {t('hub.retry')}
            </Button>
          </div>
        ) : null}
        {sites === null && !failure ? <p className="text-lg">{t('hub.loading')}</p> : null}

        {sites ? (
          <div className="grid gap-1">
            {loadedAt ? <p className="text-base text-stone-700">{t('hub.updatedAt', { time: clockTime(loadedAt) })}</p> : null}
            <div role="status" aria-live="polite">
              {failure ? (
                <p className="rounded-xl border-s-8 border-amber-600 bg-amber-50 px-4 py-3 text-lg font-semibold text-stone-950">
                  {t('hub.refreshFailed', {
                    time: clockTime(failure.at),
                    reason: errorText(failure.error),
                    shown: loadedAt ? clockTime(loadedAt) : '–',
                  })}
                </p>
              ) : null}
            </div>
          </div>
        ) : null}

        {sites && sites.length ? (
          <p className="text-lg font-semibold" data-testid="hub-summary">
            {t('hub.summary', { count: sites.length })}
            {stale ? ` · ${t('hub.summaryStale', { count: stale })}` : ''}
          </p>
        ) : null}
        {sites && !sites.length ? <p className="text-lg">{t('hub.noSites')}</p> : null}
        {sites && sites.length ? (
          <div className="grid gap-6 lg:grid-cols-2">
            {sites.map((site) => (
              <SiteCard key={site.device_id} site={site} now={now} onDownload={download} />
            ))}
          </div>
        ) : null}
      </section>

      <AddSite api={api} hubUrl={absoluteUrl('')} onAdded={added} onRejected={onRejected} />

      <div>
        <button type="button" onClick={onForget} className="min-h-12 text-base font-semibold text-blue-900 underline underline-offset-4">
          {t('hub.forget')}
        </button>
      </div>
    </>
  )
}
