// What the hub page needs from the hub (`qode serve --hub`), with the hub's admin token as the
// bearer credential, and the token's place in this browser.
import { ApiError, createApi } from './api.js'
import { t } from './strings.js'
import './strings.hub.js'

const enc = encodeURIComponent

/** The hub's admin token: its own key, so a venue box's admin token (setup page) never mixes with it. */
export const HUB_TOKEN_KEY = 'qode.hubToken'

/** A device id as the hub accepts it. */
export const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/

/** The file name in a Content-Disposition header, or null. */
export function attachmentName(header) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(String(header ?? ''))
  if (!match) return null
  try {
    return decodeURIComponent(match[1]).replace(/[/\\]/g, '_')
  } catch {
    return match[1]
  }
}

/**
 * The hub's calls. Every answer that is not 2xx is an ApiError (api.js); a request without an
 * answer has the code "offline".
 */
export function hubApi(token, { baseUrl = '', timeout = 15000, fetchImpl } = {}) {
  const api = createApi({ baseUrl, token, timeout, fetchImpl })

  /** GET `path` as a Blob (a file to save), with the token in the header, never in the URL. */
  async function blob(path) {
    const controller = new AbortController()
    const timer = timeout ? setTimeout(() => controller.abort(), timeout) : null
    const doFetch = fetchImpl ?? globalThis.fetch
    let response
    let body
    try {
      response = await doFetch(baseUrl + path, {
        method: 'GET',
        headers: { Accept: 'text/csv', Authorization: `Bearer ${token}` },
        signal: controller.signal,
        cache: 'no-store',
      })
      body = response.ok ? await response.blob() : await response.text()
    } catch {
      throw new ApiError(0, 'offline', t('error.offline'))
    } finally {
      if (timer) clearTimeout(timer)
    }
    if (!response.ok) {
      let detail
      try {
        detail = JSON.parse(body)?.error ?? null
      } catch {
        detail = null
      }
      const code = typeof detail?.code === 'string' ? detail.code : `http_${response.status}`
      const message = typeof detail?.message === 'string' && detail.message ? detail.message : t('error.generic')
      throw new ApiError(response.status, code, message)
    }
    return { blob: body, filename: attachmentName(response.headers?.get?.('Content-Disposition')) }
  }

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
  const URLs = globalThis.URL
  if (!URLs?.createObjectURL || !doc) throw new ApiError(0, 'no_download', t('hub.error.no_download'))
  const url = URLs.createObjectURL(blob)
  const link = doc.createElement('a')
  link.href = url
  link.download = filename
  link.rel = 'noopener'
  link.style.display = 'none'
  doc.body.appendChild(link)
  try {
    link.click()
  } finally {
    link.remove()
    // Some browsers read the blob after click() returns: free it a moment later.
    setTimeout(() => URLs.revokeObjectURL?.(url), 10000)
  }
}
