// The setup page's "staff on https" part: where staff devices go (the box's https address,
// served by Caddy with a certificate from the box's own CA), the CA certificate to download,
// and how to install it on iPadOS, Android and ChromeOS (docs/install-pi.md, step 7).
import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

const PLATFORMS = ['ipad', 'android', 'chromeos']

export default function StaffTls({ info, token, location = globalThis.location }) {
  if (!info) return null
  const secure = info.staff_url.startsWith('https:')
  const here = location?.protocol === 'https:'
  const caLink = info.ca_url ? `${info.public_url}${info.ca_url}` : null
  const setupLink = `${info.staff_url}/setup${token ? `#token=${encodeURIComponent(token)}` : ''}`
  return (
    <section aria-labelledby="tls-title" className="grid gap-3 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-stone-300">
      <h2 id="tls-title" className="text-2xl font-bold">
        {t('tls.title')}
      </h2>
      <p className="text-base text-stone-700">{t('tls.why')}</p>
      {secure && !here ? (
        <div role="alert" className="grid gap-2 rounded-xl bg-amber-100 p-4 ring-2 ring-amber-600">
          <p className="text-lg font-semibold text-stone-950">{t('tls.useHttps')}</p>
          <a href={setupLink} className="min-h-12 text-lg font-semibold break-all text-blue-900 underline underline-offset-4">
            {t('tls.openHttps')}: {info.staff_url}/setup
          </a>
        </div>
      ) : null}
      {!secure ? (
        <p role="alert" className="rounded-xl bg-red-50 p-4 text-lg font-semibold text-red-900 ring-2 ring-red-800">
          {t('tls.noHttps')}
        </p>
      ) : null}
      {caLink ? (
        <div className="grid gap-2">
          <h3 className="text-xl font-bold">{t('tls.caTitle')}</h3>
          <p className="text-base">{t('tls.caHelp')}</p>
          <p>
            <a href={caLink} download="qode-ca.crt" className="min-h-12 text-lg font-semibold text-blue-900 underline underline-offset-4">
              {t('tls.caDownload')}
            </a>{' '}
            <span className="font-mono text-sm break-all">({caLink})</span>
          </p>
          {PLATFORMS.map((platform) => (
            <details key={platform} className="rounded-lg bg-stone-100 p-3">
              <summary className="min-h-12 cursor-pointer text-lg font-semibold">{t(`tls.${platform}`)}</summary>
              <ol className="ms-6 list-decimal text-base">
                {[1, 2, 3].map((step) => (
                  <li key={step}>{t(`tls.${platform}.${step}`)}</li>
                ))}
              </ol>
            </details>
          ))}
          <p className="text-base text-stone-700">{t('tls.caOnly')}</p>
        </div>
      ) : null}
    </section>
  )
}
