/**
 * Group commit into the cluster's shared store: ingest's `Committer` (gateway/ingest/group-commit.ts) over
 * a ClusterStore, so a node decodes, refuses and acks exactly as the single box does (gateway/ingest/
 * ingest.ts) and only the store differs. Jobs that arrive while a commit is in flight wait and go in the
 * next one together: one transaction (one WAL flush on the server) for everything that queued meanwhile.
 * A job's callback runs only after the store has said its rows are durable.
 */
import { queueFull, type CommitJob, type Committer, type GroupCommitStats } from '../../ingest/group-commit.js'
import type { ClusterStore } from '../cluster-store.js'

export class StoreCommitter implements Committer {
  readonly stats: GroupCommitStats = { transactions: 0, rows: 0, fallbacks: 0, failedJobs: 0, queuedRows: 0 }
  readonly #store: ClusterStore
  readonly #maxQueuedRows: number
  #queue: CommitJob[] = []
  #queuedRows = 0
  #committingRows = 0
  #inFlight: Promise<void> | undefined

  constructor (store: ClusterStore, maxQueuedRows: number) {
    this.#store = store
    this.#maxQueuedRows = maxQueuedRows
  }

  enqueue (job: CommitJob): void {
    if (this.#queuedRows + this.#committingRows + job.rows.length > this.#maxQueuedRows) {
      this.stats.failedJobs++
      job.done(queueFull(this.#queuedRows + this.#committingRows))
      return
    }
    this.#queue.push(job)
    this.#queuedRows += job.rows.length
    this.stats.queuedRows = this.#queuedRows + this.#committingRows
    // The rest of this turn's messages join the group first.
    if (this.#inFlight === undefined) setImmediate(() => { this.#next() })
  }

  #next (): void {
    if (this.#inFlight !== undefined || this.#queue.length === 0) return
    const jobs = this.#queue
    this.#queue = []
    this.#committingRows = this.#queuedRows
    this.#queuedRows = 0
    this.#inFlight = this.#commit(jobs).finally(() => {
      this.#committingRows = 0
      this.stats.queuedRows = this.#queuedRows
      this.#inFlight = undefined
      this.#next()
    })
  }

  async #commit (jobs: CommitJob[]): Promise<void> {
    let results
    try {
      const out = await this.#store.commit(jobs)
      this.stats.transactions += out.transactions
      this.stats.fallbacks += out.fallbacks
      this.stats.failedJobs += out.failedJobs
      results = out.results
    } catch (err) {
      // The store could not answer at all: no job is acknowledged, every device resends.
      results = jobs.map(() => err as Error)
      this.stats.failedJobs += jobs.length
    }
    jobs.forEach((job, i) => {
      const r = results[i]
      if (r instanceof Error) {
        job.done(r)
      } else {
        this.stats.rows += r.stored.length
        job.done(null, r)
      }
    })
  }

  async settle (): Promise<void> {
    while (this.#inFlight !== undefined || this.#queue.length > 0) {
      this.#next()
      await this.#inFlight
    }
  }

  discard (): number {
    const rows = this.#queuedRows
    this.#queue = []
    this.#queuedRows = 0
    return rows
  }

  async close (): Promise<void> {}
}
