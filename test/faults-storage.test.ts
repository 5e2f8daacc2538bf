/**
 * The fault suite's short variants for the gateway's storage (faults/disk-full.ts, corrupt-db.ts):
 * the storage budget reached, a real small disk (a tmpfs, root only; skipped elsewhere) filled past the
 * floor and to SQLITE_FULL, and a database found damaged at start (a few pages overwritten).
 */
import t, { type Test } from 'tap'
import { diskFullFault, DISK_FULL, type DiskMode } from '../faults/disk-full.js'
import { corruptDbFault, CORRUPT_DB } from '../faults/corrupt-db.js'
import { formatReports, type FaultReport } from '../faults/report.js'

const check = (t: Test, r: FaultReport): void => {
  t.comment(formatReports([r]))
  t.same(r.problems, [], 'the reconciliation finds nothing wrong')
  if (r.runs > 0) t.equal(r.delivered, r.acked, 'every acknowledged punch upstream')
}

for (const mode of ['budget', 'floor', 'enospc'] as DiskMode[]) {
  t.test(`storage full (${mode}): no ack while full, nothing lost, resumes by itself`, async t => {
    check(t, await diskFullFault({ ...DISK_FULL.short, seed: 20261130, mode }))
  })
}

t.test('a damaged database at start: moved aside, devices resend, nothing acknowledged lost', async t => {
  check(t, await corruptDbFault({ ...CORRUPT_DB.short, seed: 20261130 }))
})
