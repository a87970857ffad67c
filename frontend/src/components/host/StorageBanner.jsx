import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

/** While the box cannot save (full disk, read-only or failing database): say so, plainly, at once. */
export default function StorageBanner({ storage }) {
  if (!storage || storage.ok !== false) return null
  const reason = storage.reason ?? 'io_error'
  const title = t(`host.storage.${reason}`)
  return (
    <section role="alert" aria-labelledby="host-storage-title" className="grid gap-2 rounded-2xl border-s-8 border-red-700 bg-red-100 p-4 text-red-950">
      <h2 id="host-storage-title" className="text-2xl font-bold">
        {title === `host.storage.${reason}` ? t('host.storage.io_error') : title}
      </h2>
      <p className="text-lg">{t('host.storage.body')}</p>
    </section>
  )
}
