// The display, kiosk and setup pages' strings (English and German), merged into strings.js.

export const screenStrings = {
  en: {},
  de: {},
}
