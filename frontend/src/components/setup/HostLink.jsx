import { useState } from 'react'
import Button from '../Button.jsx'
import CopyLink from '../screens/CopyLink.jsx'
import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'
import LinkQr from './LinkQr.jsx'

/** The host link (known only in the session that made it) and the button that makes a new one. */
export default function HostLink({ queue, api, hostUrl, onHostUrl, onRejected }) {
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
