import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import process from 'node:process'
import { describe, expect, it } from 'vitest'

// Arabic lays every page out right to left (main.jsx sets <html dir>). Tailwind's logical
// utilities follow the direction; the physical ones (left/right) do not, so a page using them
// comes out half mirrored. Use ms-/me-, ps-/pe-, start-/end-, text-start/end, border-s/e,
// rounded-s/e (rounded-ss/se/es/ee), float-start/end instead.
const PHYSICAL = new RegExp(
  String.raw`(?<![\w-])(?:[\w[\]&>*:-]+:)?(` +
    String.raw`-?(?:m|p|scroll-m|scroll-p)[lr]-[\w./[\]-]+` +
    String.raw`|-?(?:left|right)-[\w./[\]-]+` +
    String.raw`|text-(?:left|right)` +
    String.raw`|(?:border|rounded)-[lr](?:-[\w./[\]-]+)?` +
    String.raw`|rounded-[tb][lr](?:-[\w./[\]-]+)?` +
    String.raw`|(?:float|clear)-(?:left|right)` +
    String.raw`)(?![\w-])`,
  'g',
)

const SRC = join(process.cwd(), 'src/') // vitest runs in frontend/

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return /\.jsx$/.test(entry.name) && !/\.test\./.test(entry.name) ? [path] : []
  })
}

describe('right-to-left layout', () => {
  it('uses no left/right Tailwind class in a page or component', () => {
    const found = []
    for (const path of sources(SRC)) {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (/^\s*(\/\/|\*|\{\/\*)/.test(line)) return // a comment
          for (const match of line.matchAll(PHYSICAL)) found.push(`${path.slice(SRC.length)}:${index + 1} ${match[1]}`)
        })
    }
    expect(found).toEqual([])
  })

  it('would catch one', () => {
    const classes = 'flex ml-2 sm:pr-4 -left-3 text-right border-l-8 rounded-tl-lg ms-2 text-start border-s-8 rounded-lg'
    expect([...classes.matchAll(PHYSICAL)].map((match) => match[1])).toEqual([
      'ml-2',
      'pr-4',
      '-left-3',
      'text-right',
      'border-l-8',
      'rounded-tl-lg',
    ])
  })
})
