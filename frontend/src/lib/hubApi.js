// What the hub page needs from the hub (`qode serve --hub`), with the hub's admin token as the
// bearer credential, and the token's place in this browser.
import { createApi } from './api.js'
import { attachmentName, fetchFile, saveBlob as saveFile } from './download.js'
import { t } from './strings.js'
import './strings.hub.js'

export { attachmentName }

const enc = encodeURIComponent

/** The hub's admin token: its own key, so a venue box's admin token (setup page) never mixes with it. */
export const HUB_TOKEN_KEY = 'qode.hubToken'

/** A device id as the hub accepts it. */
export const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * The hub's calls. Every answer that is not 2xx is an ApiError (api.js); a request without an
 * answer has the code "offline".
 */
export function hubApi(token, { baseUrl = '', timeout = 15000, fetchImpl } = {}) {
  const api = createApi({ baseUrl, token, timeout, fetchImpl })

  const blob = (path) => fetchFile(path, { token, baseUrl, timeout, fetchImpl })

  return {
    /** `{"sites": [SiteOut, …]}`. */
    listSites: (opts) => api.request('GET', '/api/hub/sites', opts),
    /** 201 `{device_id, name, key}`: the only copy of the key. */
    addSite: ({ deviceId, name }, opts) =>
      api.request('POST', '/api/hub/sites', { ...opts, body: { device_id: deviceId, name } }),
    /** One site's tickets of `day` (YYYY-MM-DD) as CSV: `{blob, filename}`. */
    exportCsv: (deviceId, day) => blob(`/api/hub/sites/${enc(deviceId)}/export.csv?day=${enc(day)}`),
    /** One site's figures of `day` per service, counter and staff (the box's GET /api/stats columns) as CSV. */
    statsCsv: (deviceId, day) => blob(`/api/hub/sites/${enc(deviceId)}/stats?day=${enc(day)}&format=csv`),
  }
}

/** Hand `blob` to the browser as a download named `filename`. */
export function saveBlob(blob, filename, doc = globalThis.document) {
  saveFile(blob, filename, { doc, message: t('hub.error.no_download') })
}
