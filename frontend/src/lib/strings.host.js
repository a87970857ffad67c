// The host dashboard's strings (English and German), merged into strings.js.

export const hostStrings = {
  en: {},
  de: {},
}
