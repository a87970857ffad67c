import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

/** An error as the host should read it: the host's own wording first, then the shared one. */
export function hostErrorText(err) {
  const key = `host.error.${err?.code}`
  const text = t(key)
  return text !== key ? text : errorText(err)
}
