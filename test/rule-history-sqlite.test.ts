/**
 * The rules' history contract (test/fixtures/rule-history-contract.ts) against SQLite: the single box's
 * PunchHistory on a real file, asked inside the transaction that inserts the group row by row, as
 * gateway/ingest/commit-writer.ts does.
 */
import t from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { PunchStore } from '../gateway/store/punch-store.js'
import { PunchHistory } from '../gateway/rules/history.js'
import { ruleHistoryContract, type HistoryCase } from './fixtures/rule-history-contract.js'

ruleHistoryContract(t, 'SQLite', async t => {
  const db = openDatabase(join(t.testdir(), 'gateway.db'))
  t.teardown(() => db.close())
  const store = new PunchStore(db)
  const history = new PunchHistory(db)
  const insert = (h: HistoryCase): void => { store.insert({ ...h.row, person: h.person }, h.received) }
  return {
    seed: async rows => { store.write(() => { rows.forEach(insert) }) },
    group: async (rows, ask) => {
      store.write(() => {
        rows.forEach((h, i) => {
          ask(history, i)
          insert(h)
        })
      })
    }
  }
})
