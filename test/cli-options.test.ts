/**
 * The command line's one layer (shared/cli.ts): every flag a command accepts is in its usage, because the
 * usage is made from the declarations; a bad number is refused naming its flag; a usage and a declaration
 * that disagree stop the command from loading.
 */
import t from 'tap'
import { defineCommand, type Command, type FlagSpec } from '../shared/cli.js'
import { cli } from './helpers/gateway-process.js'
import { GATEWAY_COMMAND } from '../gateway/cli/gateway.js'
import { DEVICES_COMMAND } from '../gateway/cli/devices.js'
import { ROSTER_COMMAND } from '../gateway/cli/roster.js'
import { ALARMS_COMMAND } from '../gateway/cli/alarms.js'
import { REPORT_COMMAND } from '../gateway/cli/report.js'
import { DEADLETTERS_COMMAND } from '../gateway/cli/deadletters-cmd.js'
import { BACKUP_COMMAND, RESTORE_COMMAND } from '../gateway/cli/backup.js'
import { DEVICE_COMMAND } from '../device/cli/device.js'
import { DOCTOR_COMMAND } from '../device/cli/doctor.js'
import { SIM_COMMAND } from '../sim/cli.js'

const COMMANDS: Record<string, Command<Record<string, FlagSpec>>> = {
  gateway: GATEWAY_COMMAND,
  devices: DEVICES_COMMAND,
  roster: ROSTER_COMMAND,
  alarms: ALARMS_COMMAND,
  report: REPORT_COMMAND,
  deadletters: DEADLETTERS_COMMAND,
  backup: BACKUP_COMMAND,
  restore: RESTORE_COMMAND,
  device: DEVICE_COMMAND,
  doctor: DOCTOR_COMMAND,
  sim: SIM_COMMAND
}

t.test('punchline help lists every flag every command accepts', async t => {
  const help = cli(['help'])
  t.equal(help.status, 0)
  for (const [name, command] of Object.entries(COMMANDS)) {
    t.ok(help.stdout.includes(command.usage), `help shows the usage of ${name}`)
    for (const flag of Object.keys(command.flags)) t.ok(command.usage.includes(`--${flag}`), `${name} --${flag}`)
  }
  // accepted before but not shown
  t.match(help.stdout, /punchline roster list \[--data DIR\] \[--config FILE\]/)
  t.match(help.stdout, /\[--settle-ms 3000\]/)
})

t.test('a bad number flag is refused, naming the flag and its rule', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['deadletters', 'list', '--limit', '0'], /--limit: must be a whole number >= 1 \(got '0'\)/],
    [['backup', '--keep', 'seven'], /--keep: must be a whole number >= 1 \(got 'seven'\)/],
    [['gateway', '--mqtt-port', '70000'], /--mqtt-port: must be a whole number from 0 to 65535 \(got '70000'\)/],
    [['doctor', '--config', 'x.json', '--listen-ms', '1.5'], /--listen-ms: must be a whole number from 0 to 600000 \(got '1.5'\)/],
    [['sim', '--scenario', 'normal-week', '--settle-ms', '0'], /--settle-ms: must be a number above 0 \(got '0'\)/],
    [['sim', '--devices=-3'], /--devices: must be a whole number >= 0 \(got '-3'\)/]
  ]
  for (const [args, message] of cases) {
    const r = cli(args)
    t.equal(r.status, 1, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
  }
})

t.test('numbers are parsed and checked in one place', async t => {
  const c = defineCommand({
    usage: ['x [--n] [--f] [--p] [--name]'],
    flags: {
      n: { type: 'whole', default: 5, min: 1, max: 9 },
      f: { type: 'number', above: 0 },
      p: { type: 'number', min: 0, max: 1, what: 'a probability' },
      name: { type: 'string', value: 'NAME' }
    }
  })
  t.equal(c.usage, 'x [--n 5] [--f N] [--p N] [--name NAME]')
  t.same(c.parse(['--f', '0.5']).values, { n: 5, f: 0.5, p: undefined, name: undefined })
  t.throws(() => c.parse(['--n', '10']), /^--n: must be a whole number from 1 to 9 \(got '10'\)$/)
  t.throws(() => c.parse(['--n', ' ']), /^--n: must be a whole number from 1 to 9/)
  t.throws(() => c.parse(['--f', '0']), /^--f: must be a number above 0 \(got '0'\)$/)
  t.throws(() => c.parse(['--p', '2']), /^--p: must be a probability from 0 to 1 \(got '2'\)$/)
  t.throws(() => c.parse(['--colour', 'red']), /Unknown option '--colour'/)
  t.throws(() => c.parse(['word']), /positional/, 'no words unless the command takes them')
})

t.test('a usage and its declarations cannot drift apart', async t => {
  t.throws(() => defineCommand({ usage: ['x [--a]'], flags: { a: { type: 'boolean' }, b: { type: 'boolean' } } }), /usage does not show --b/)
  t.throws(() => defineCommand({ usage: ['x [--a] [--c]'], flags: { a: { type: 'boolean' } } }), /usage names --c, which is not declared/)
})
