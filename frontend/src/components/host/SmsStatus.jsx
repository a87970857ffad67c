import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

const TROUBLE = new Set(['missing', 'error', 'sim', 'no_signal'])

/**
 * issue 16: sms. The text modem's health, like a kiosk's printer: whether it is there, its SIM
 * and signal, the day's texts sent, failed and capped, and the last error. `sms` is the host
 * message's `sms`; without one (no modem configured, or an older box) nothing is shown.
 */
export default function SmsStatus({ sms }) {
  if (!sms || sms.enabled !== true) return null
  const state = typeof sms.state === 'string' ? sms.state : 'unknown'
  const trouble = TROUBLE.has(state)
  const error = typeof sms.last_error === 'string' && sms.last_error.trim() ? sms.last_error.trim() : null
  const count = (value) => (Number.isFinite(value) ? value : 0)
  return (
    <section
      aria-labelledby="sms-status-title"
      data-testid="sms-status"
      data-state={state}
      className={`grid gap-1 rounded-2xl bg-white p-4 ring-1 ${trouble ? 'ring-2 ring-red-800' : 'ring-stone-300'}`}
    >
      <h2 id="sms-status-title" className="text-lg font-bold">
        {t('host.sms.title')}
      </h2>
      <p className={`text-lg font-semibold ${trouble ? 'text-red-800' : 'text-stone-900'}`} role={trouble ? 'status' : undefined}>
        <span aria-hidden="true">{trouble ? '⚠ ' : '✓ '}</span>
        {t(`host.sms.state.${state}`)}
        {Number.isFinite(sms.signal) && state !== 'missing' ? ` · ${t('host.sms.signal', { signal: sms.signal })}` : ''}
      </p>
      <p className="text-base text-stone-700">{t('host.sms.sent', { sent: count(sms.sent_today), failed: count(sms.failed_today) })}</p>
      {count(sms.capped_today) > 0 ? <p className="text-base text-stone-700">{t('host.sms.capped', { count: count(sms.capped_today) })}</p> : null}
      {error ? <p className="text-base wrap-anywhere text-red-800">{t('host.sms.lastError', { error })}</p> : null}
    </section>
  )
}
