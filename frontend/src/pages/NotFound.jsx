import Page from '../components/Page.jsx'
import { t } from '../lib/strings.js'

export default function NotFound() {
  return (
    <Page>
      <h1 className="text-3xl font-bold">{t('notFound.title')}</h1>
      <p className="text-xl">{t('notFound.body')}</p>
    </Page>
  )
}
