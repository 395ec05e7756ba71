import type { INodeProperties } from 'n8n-workflow';
import { runReviewClock, DEFAULT_BATCH_SIZE, DEFAULT_MAX_BATCHES } from '../../../lib/review/clock';
import { DEFAULT_CATCH_UP_HOURS, DEFAULT_CHECK_WITHIN_HOURS, MAX_REVIEW_HOURS, parseHours, workingHoursFrom, type ClockSettings } from '../../../lib/review/settings';
import { readLessonLink } from '../../shared/lessonLink';
import { readTimeZone } from '../../shared/timeZone';
import { readStaffChat, show, type ReviewOperation } from './common';

const remind = show('remind');
const workingOnly = { show: { operation: ['remind'], workingHoursOnly: [true] } };

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const properties: INodeProperties[] = [
	{
		displayName: 'Check Within (Hours)',
		name: 'checkWithinHours',
		type: 'number',
		default: DEFAULT_CHECK_WITHIN_HOURS,
		typeOptions: { minValue: 0.01, maxValue: MAX_REVIEW_HOURS, numberPrecision: 2 },
		hint: 'A training with review_hours set (Reference Data, trainings) uses its own. Fractions allowed: 0.05 = 3 minutes.',
		description: "Hours a mentor has to check an answer, from its receipt; one reminder when they pass, one escalation to the staff chat at twice as many",
		displayOptions: remind,
	},
	{
		displayName: 'Working Hours Only',
		name: 'workingHoursOnly',
		type: 'boolean',
		default: false,
		description: 'Whether the clock stands still outside working hours (evenings and days off do not count)',
		displayOptions: remind,
	},
	{
		displayName: 'Working Days',
		name: 'workingDays',
		type: 'multiOptions',
		options: WEEKDAYS.map((name, i) => ({ name, value: String(i + 1) })).sort((a, b) => a.name.localeCompare(b.name)),
		default: ['1', '2', '3', '4', '5'],
		displayOptions: workingOnly,
	},
	{
		displayName: 'Working Day Starts',
		name: 'workingDayStart',
		type: 'string',
		default: '10:00',
		placeholder: '10:00',
		description: "Local time of the school's time zone",
		displayOptions: workingOnly,
	},
	{
		displayName: 'Working Day Ends',
		name: 'workingDayEnd',
		type: 'string',
		default: '20:00',
		placeholder: '20:00',
		description: "Local time of the school's time zone (24:00 for midnight)",
		displayOptions: workingOnly,
	},
	{
		displayName: 'Options',
		name: 'remindOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: remind,
		options: [
			{
				displayName: 'Batch Size',
				name: 'batchSize',
				type: 'number',
				default: DEFAULT_BATCH_SIZE,
				typeOptions: { minValue: 1, maxValue: 5000 },
				description: 'Reviews per database statement',
			},
			{
				displayName: 'Max Batches per Run',
				name: 'maxBatches',
				type: 'number',
				default: DEFAULT_MAX_BATCHES,
				typeOptions: { minValue: 1, maxValue: 1000 },
				description: 'The rest waits for the next run',
			},
			{
				displayName: 'Skip Reminders Due Longer Ago Than (Hours)',
				name: 'catchUpHours',
				type: 'number',
				default: DEFAULT_CATCH_UP_HOURS,
				typeOptions: { minValue: 1, maxValue: 87600 },
				description:
					'After the workflow was off for longer, reminders and escalations whose time passed before that are not sent (the reviews stay open and show in digests and reports)',
			},
		],
	},
];

/** Deadlines for new reviews, then one reminder and one escalation for each review past them. */
export const remindOperation: ReviewOperation = {
	properties,
	async execute(ctx, db) {
		const working = ctx.getNodeParameter('workingHoursOnly', 0, false) as boolean;
		const o = ctx.getNodeParameter('remindOptions', 0, {}) as { batchSize?: number; maxBatches?: number; catchUpHours?: number };
		const settings: ClockSettings = {
			timeZone: readTimeZone(ctx),
			checkWithinHours: parseHours(ctx.getNodeParameter('checkWithinHours', 0, DEFAULT_CHECK_WITHIN_HOURS), 'Check Within (Hours)'),
			workingHours: working
				? workingHoursFrom({
						days: ctx.getNodeParameter('workingDays', 0, []),
						start: String(ctx.getNodeParameter('workingDayStart', 0, '10:00')),
						end: String(ctx.getNodeParameter('workingDayEnd', 0, '20:00')),
					})
				: null,
			catchUpHours: bounded(o.catchUpHours, 1, 87600, DEFAULT_CATCH_UP_HOURS, 'Skip Reminders Due Longer Ago Than'),
			staffChatId: readStaffChat(ctx),
			link: readLessonLink(ctx),
		};
		const r = await runReviewClock(db.pool, settings, {
			batchSize: bounded(o.batchSize, 1, 5000, DEFAULT_BATCH_SIZE, 'Batch Size'),
			maxBatches: bounded(o.maxBatches, 1, 1000, DEFAULT_MAX_BATCHES, 'Max Batches per Run'),
		});
		return {
			json: { ...r, checkWithinHours: settings.checkWithinHours, workingHours: working },
			counts: { deadlines: r.deadlinesSet, reminders: r.reminders, escalations: r.escalations },
		};
	},
};

function bounded(v: unknown, min: number, max: number, fallback: number, what: string): number {
	if (v === undefined || v === null || v === '') return fallback;
	const n = Number(v);
	if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${what} must be between ${min} and ${max}, got ${JSON.stringify(v)}`);
	return Math.floor(n);
}
