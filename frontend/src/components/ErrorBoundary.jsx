import { Component } from 'react'
import { t } from '../lib/strings.js'

/**
 * Never a blank screen: when a page fails to render or its code fails to load (a chunk lost on
 * flaky Wi-Fi), show what happened and try again. A TV or kiosk has nobody to press reload, so
 * the page also reloads itself as soon as the box answers again.
 */
export default class ErrorBoundary extends Component {
  constructor(props) {
    super(props)
    this.state = { failed: false }
    this.timer = null
  }

  static getDerivedStateFromError() {
    return { failed: true }
  }

  componentDidCatch(error) {
    console.error('qode: a page failed', error)
    const { every = 10000, fetchImpl = globalThis.fetch, reload = () => globalThis.location.reload() } = this.props
    const check = async () => {
      try {
        const answer = await fetchImpl('/healthz', { cache: 'no-store' })
        if (answer.ok) {
          reload()
          return
        }
      } catch {
        // still unreachable: try again later
      }
      this.timer = setTimeout(check, every)
    }
    this.timer = setTimeout(check, every)
  }

  componentWillUnmount() {
    clearTimeout(this.timer)
  }

  render() {
    if (!this.state.failed) return this.props.children
    const reload = this.props.reload ?? (() => globalThis.location.reload())
    return (
      <main className="mx-auto grid max-w-xl gap-4 p-6 text-stone-950" role="alert">
        <h1 className="text-3xl font-bold">{t('app.failedTitle')}</h1>
        <p className="text-lg">{t('app.failedBody')}</p>
        <button
          type="button"
          onClick={reload}
          className="min-h-12 rounded-xl bg-blue-800 px-5 text-lg font-semibold text-white hover:bg-blue-900"
        >
          {t('app.retry')}
        </button>
      </main>
    )
  }
}
