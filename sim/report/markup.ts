/**
 * Escaping for everything the HTML report writes from data. Scenario names, descriptions, flag kinds and
 * check labels come from files a person edits: they are text, never markup.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * Safe in element content and in quoted attribute values alike. Control characters other than tab and
 * newline are dropped: HTML does not allow them, and an ANSI escape copied from a terminal means nothing
 * on a page.
 */
export function esc (s: string | number): string {
  return String(s).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/[&<>"']/g, c => ENTITIES[c])
}
