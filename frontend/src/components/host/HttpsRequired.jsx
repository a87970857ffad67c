// The host page opened over plain http while the box refuses staff tokens there
// (QODE_STAFF_HTTPS): say so, and link this same page at the box's https address.
import HostMessage from './HostMessage.jsx'
import { useTlsInfo } from '../screens/useTlsInfo.js'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

export default function HttpsRequired({ location = globalThis.location }) {
  const tls = useTlsInfo()
  const secure = tls?.staff_url?.startsWith('https:') ? tls.staff_url : null
  return (
    <HostMessage title={t('host.https.title')} body={t('host.https.body')}>
      {secure ? (
        <a href={`${secure}${location?.pathname ?? ''}`} className="min-h-12 text-lg font-semibold break-all text-blue-900 underline underline-offset-4">
          {secure}
          {location?.pathname ?? ''}
        </a>
      ) : null}
    </HostMessage>
  )
}
