// After `vite build`: a Brotli and a gzip copy beside every asset worth compressing, made once
// here, so the box sends compressed bytes without compressing anything per request
// (server/qode/pages.py picks the copy the browser accepts).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const ASSETS = new URL('../../server/qode/static/assets/', import.meta.url).pathname
const COMPRESSIBLE = new Set(['.js', '.css', '.svg', '.json', '.txt'])
const SMALLEST = 512 // below this, the headers weigh more than the saving

let before = 0
let after = 0
for (const name of readdirSync(ASSETS)) {
  if (!COMPRESSIBLE.has(extname(name))) continue
  const path = join(ASSETS, name)
  const raw = readFileSync(path)
  if (raw.length < SMALLEST) continue
  const br = brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  })
  const gz = gzipSync(raw, { level: 9 })
  if (br.length < raw.length) writeFileSync(`${path}.br`, br)
  if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz)
  before += raw.length
  after += Math.min(br.length, raw.length)
}
console.log(`compressed assets: ${before} bytes, ${after} with Brotli`)
