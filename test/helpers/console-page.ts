/**
 * The web console in a real browser against a real gateway: headless Debian Chromium (scripts/console-browser.ts),
 * one browser per test file, a fresh context (cookies) per operator. Waits are on what appears on the page,
 * never on time.
 */
import type { Test } from 'tap'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { launchChromium } from '../../scripts/console-browser.js'
import type { GatewayProcess } from './gateway-process.js'

export async function browserFor (t: Test): Promise<Browser> {
  const browser = await launchChromium()
  t.teardown(async () => await browser.close())
  return browser
}

export interface ConsolePage {
  context: BrowserContext
  page: Page
  /** what the page logged as errors, and Content-Security-Policy refusals among them */
  errors: string[]
}

/** A new browser context on the console's start page; the page's console errors are collected. */
export async function openConsole (browser: Browser, gw: Pick<GatewayProcess, 'httpUrl'>, options: BrowserContextOptions = {}): Promise<ConsolePage> {
  const context = await browser.newContext(options)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()) })
  page.on('pageerror', e => errors.push(e.message))
  const res = await page.goto(gw.httpUrl + '/')
  if (res?.status() !== 200) throw new Error(`the console answered ${res?.status()}: ${await res?.text()} (is it built? npm run build:console)`)
  return { context, page, errors }
}

export async function logIn (page: Page, name: string, password: string): Promise<void> {
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('navigation', { name: 'pages' }).waitFor()
}

export async function goTo (page: Page, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'pages' }).getByRole('link', { name: title, exact: true }).click()
  await page.getByRole('heading', { level: 1, name: title }).waitFor()
}

/**
 * Errors other than the refusals the API answers on purpose, which the browser logs too: a 400 the page
 * shows, a 401 before login, a 404 for a route an older gateway lacks.
 */
export function unexpected (errors: string[]): string[] {
  return errors.filter(e => !/Failed to load resource: the server responded with a status of (400|401|404)/.test(e))
}
