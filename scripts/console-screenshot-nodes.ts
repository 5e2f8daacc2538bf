/**
 * The Nodes page of a cluster's console for docs/console/nodes.png (scripts/console-screenshots.ts runs it
 * when `nodes` is wanted): a private PostgreSQL (fakes/servers/postgres-server.ts), three nodes' heartbeats
 * written through the shared store as nodes write them (one alive, one gone silent, one stopped), a
 * backlog in the shared outbox, and `punchline console --cluster` as a real process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Browser } from 'playwright-core'
import { connectionString, startPostgresServer } from '../fakes/servers/postgres-server.js'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { NodeBeat } from '../gateway/cluster/node-registry.js'
import { punchlineBin } from '../sim/hardware-mode/device-child.js'

const DESK = { viewport: { width: 1280, height: 600 } }
/** when the nodes started: yesterday */
const STARTED = Date.now() - 26 * 3_600_000

function beat (nodeId: string, host: string, pid: number, acked: number, over: Partial<NodeBeat> = {}): NodeBeat {
  return {
    nodeId,
    host,
    pid,
    version: '0.1.0',
    broker: 'mqtts://punchline-node:***@emqx.site.lan:8883',
    startedAt: STARTED,
    intervalMs: 5000,
    counts: { acked, unacked: Math.floor(acked / 5000), punchesDelivered: acked * 9, failed: 3, leaseLost: 0, queuedRows: 40, claimsHeld: 2 },
    ...over
  }
}

export async function shootNodes (browser: Browser, dir: string, out: string): Promise<void> {
  const server = await startPostgresServer()
  const postgres = connectionString(await server.database())
  const shared = await PostgresClusterStore.open({ connectionString: postgres, poolSize: 1 })
  let child: ChildProcess | undefined
  try {
    await shared.beat(beat('node-c', 'gw-c.site.lan', 2210, 1_204_330, { intervalMs: 100 }))
    await shared.beat(beat('node-a', 'gw-a.site.lan', 4242, 1_311_802))
    await shared.beat(beat('node-b', 'gw-b.site.lan', 3187, 1_288_415))
    await shared.beat(beat('node-d', 'gw-d.site.lan', 1920, 88_100, { startedAt: STARTED - 24 * 3_600_000 }))
    await shared.beat(beat('node-d', 'gw-d.site.lan', 1920, 88_100, { startedAt: STARTED - 24 * 3_600_000, stopping: true }))
    const now = Date.now()
    await shared.commit([{ received: now - 40_000, rows: Array.from({ length: 120 }, (_, i) => ({ device: `T-${1000 + i % 12}`, epoch: 'a1b2c3d4', tz: 0, flags: '', punch: { seq: i + 1, ts: now - 60_000 + i, emp: String(2000 + i), kind: 'in' as const, method: 'card' as const, clock: 'synced' as const } })) }])
    // node-c's row, written at a 100 ms interval, is stale three intervals later.
    for (;;) {
      if ((await shared.listNodes()).find(n => n.nodeId === 'node-c')?.state === 'stale') break
      await new Promise(resolve => setTimeout(resolve, 50))
    }

    const data = join(dir, 'console-data')
    const config = join(dir, 'console.json')
    writeFileSync(config, JSON.stringify({ cluster: { postgres } }))
    const made = spawnSync(process.execPath, [punchlineBin(), 'operators', 'add', 'ada', '--role', 'admin', '--data', data, '--json'], { encoding: 'utf8' })
    const password = (JSON.parse(made.stdout) as { password: string }).password
    child = spawn(process.execPath, [punchlineBin(), 'console', '--cluster', '--config', config, '--data', data, '--http-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' } })
    const port = await new Promise<number>((resolve, reject) => {
      child?.once('exit', code => reject(new Error(`the console exited with ${code}`)))
      createInterface({ input: child!.stdout! }).on('line', line => {
        const entry = JSON.parse(line) as { msg?: string, port?: number }
        if (entry.port !== undefined && entry.msg?.startsWith('cluster console:') === true) resolve(entry.port)
      })
    })
    const context = await browser.newContext(DESK)
    const page = await context.newPage()
    await page.goto(`http://127.0.0.1:${port}/`)
    await page.getByLabel('Name').fill('ada')
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.locator('tr[data-node="node-d"]').waitFor()
    await page.locator('[data-tile="pending"]').waitFor()
    // The live nodes go on beating, every second, until a poll of the page (every 5 s) shows them just heard from.
    const beating = setInterval(() => {
      void shared.beat(beat('node-a', 'gw-a.site.lan', 4242, 1_311_802)).then(async () => await shared.beat(beat('node-b', 'gw-b.site.lan', 3187, 1_288_415)))
    }, 1000)
    try {
      await page.locator('tr[data-node="node-b"] td', { hasText: /^[0-1] s ago$/ }).waitFor()
    } finally {
      clearInterval(beating)
    }
    await page.screenshot({ path: join(out, 'nodes.png'), fullPage: true })
    process.stdout.write('docs/console/nodes.png\n')
    await context.close()
  } finally {
    child?.kill('SIGTERM')
    await shared.close()
    await server.stop()
  }
}
