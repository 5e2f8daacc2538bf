/**
 * Headless Chromium from Debian's `chromium` package, driven by playwright-core (which downloads no
 * browser of its own), for the console's browser tests and its screenshots. The flags keep the browser off
 * the network: without them it reaches for update, sync and safe-browsing hosts at every start, which a
 * site machine or CI cannot reach.
 */
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.PUNCHLINE_CHROMIUM ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions'
]

export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
}

/** A phone's screen (a common 6.1" phone in CSS pixels), for the responsive layout. */
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
