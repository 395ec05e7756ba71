import { withClient } from '../../db/pool';
import { checkReferenceData } from '../../reference/check';
import type { Command } from '../context';

const iso = (d: Date | null) => (d && new Date(d).getUTCFullYear() < 9999 ? new Date(d).toISOString() : 'open end');

export const check: Command = {
	usage: `check [--json]       reference data problems: overlapping rows, rows ending before they start, emails in an
                       unusual form, mentors without telegram_id, mappings to unknown mentors or students,
                       students with waiting events and no mapping (exit 1 if any)`,
	spec: { flags: { '--json': { value: 'none' } } },
	async run({ args, db }) {
		const r = await withClient(db, (c) => checkReferenceData(c));
		if (args.has('--json')) {
			console.log(JSON.stringify(r, null, 2));
			return r.problems ? 1 : 0;
		}
		if (!r.problems) {
			console.log('Reference data: no problems found');
			return 0;
		}
		const section = (title: string, lines: string[]) => {
			if (!lines.length) return;
			console.log(`${title} (${lines.length}):`);
			for (const l of lines) console.log(`  ${l}`);
		};
		section(
			'Overlapping rows (two rows of one key valid at the same time)',
			r.overlaps.map((o) => `${o.table} ${o.key} = ${o.value}: id ${o.a.id} [${iso(o.a.valid_from)}, ${iso(o.a.valid_to)}) and id ${o.b.id} [${iso(o.b.valid_from)}, ${iso(o.b.valid_to)})`),
		);
		section(
			'Rows that end before they start (valid_from after valid_to; their table has no overlap guard until fixed)',
			r.reversedRanges.map((x) => `${x.table} id ${x.id}: valid_from ${iso(x.valid_from)}, valid_to ${iso(x.valid_to)}`),
		);
		section(
			'Emails with spaces around them or a punycode domain (re-import the table: import writes them as GetCourse sends them)',
			r.unusualEmails.map((x) => `${x.table}.${x.column} id ${x.id}: ${JSON.stringify(x.email)}`),
		);
		section(
			'Mentors valid now without telegram_id',
			r.mentorsWithoutTelegram.map((m) => `${m.email} (id ${m.id}${m.first_name || m.last_name ? `, ${[m.first_name, m.last_name].filter(Boolean).join(' ')}` : ''})`),
		);
		section(
			'Mappings valid now to unknown mentors or students',
			r.mappingsToUnknown.map(
				(m) =>
					`id ${m.id}: ${m.student_email} → ${m.mentor_email} in ${m.training_id ? `training ${m.training_id}` : 'every training'}: ` +
					[m.unknown_student && 'no student valid now', m.unknown_mentor && 'no mentor valid now'].filter(Boolean).join(', '),
			),
		);
		section(
			'Students with waiting events and no mapping valid now',
			r.waitingWithoutMapping.map(
				(w) =>
					`user_id ${w.user_id}${w.email ? ` (${w.email})` : ''} in ${w.training_id ? `training ${w.training_id}` : 'no training'}: ` +
					`${w.waiting_events} waiting event(s) since ${iso(w.first_event)}${w.unknown_student ? ', student not in students' : ''}`,
			),
		);
		console.log(`${r.problems} problem(s) found`);
		return 1;
	},
};
