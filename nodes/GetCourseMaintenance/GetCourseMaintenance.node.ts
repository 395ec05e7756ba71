import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { adoptBacklog, DEFAULT_BACKLOG_DAYS, retryBacklog } from '../../lib/db/backlog';
import { cleanupLogs } from '../../lib/db/logs';
import { migrate } from '../../lib/db/migrate';
import { withClient, type Db } from '../../lib/db/pool';
import { collectStats } from '../../lib/db/stats';
import { normaliseEmail } from '../../lib/email';
import { retryFailedSends } from '../../lib/notify/retryFailed';
import { retryUnresolved } from '../../lib/resolve/retry';
import { reviewReport } from '../../lib/db/reviewReport';
import { reportPeriod } from '../../lib/review/report';
import { NOT_AN_AGENT_TOOL } from '../shared/agentTool';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure } from '../shared/errors';
import { boundedNumber } from '../shared/parameters';
import { logRun } from '../shared/runLog';
import { readTimeZone, timeZoneProperty } from '../shared/timeZone';

const LOG_SOURCE = 'getcourse-maintenance';

export class GetCourseMaintenance implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Maintenance',
		name: 'getCourseMaintenance',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ {"cleanup": "Clean Up Logs", "stats": "Backlog Stats", "retryUnresolved": "Retry Unresolved", "retryFailedSends": "Retry Failed Sends", "reviewReport": "Review Report", "setupDatabase": "Set Up Database"}[$parameter["operation"]] }}',
		description: 'Set up or upgrade the GetCourse Bot database, clean up logs, report the backlog and answer checking, retry unresolved events and failed sends',
		// used as it is by the editor's Docs link (a codex link gets ?utm_… appended after the #anchor)
		documentationUrl: 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-maintenance',
		defaults: { name: 'GetCourse Maintenance' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [{ name: 'getCourseBotPostgres', displayName: 'PostgreSQL Database', required: true, testedBy: 'getCourseBotPostgresTest' }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Backlog Stats',
						value: 'stats',
						description: 'Pending webhooks, notifications by status, node runs of the last hour, table sizes',
						action: 'Get backlog stats',
					},
					{
						name: 'Clean Up Logs',
						value: 'cleanup',
						description: 'Delete old application_logs and error_logs rows',
						action: 'Clean up logs',
					},
					{
						name: 'Retry Failed Sends',
						value: 'retryFailedSends',
						description:
							"Put notifications Telegram refused (403: the mentor never pressed Start or blocked the bot; 400: wrong telegram_id) back to pending, addressed to the mentor's telegram_id valid now",
						action: 'Retry failed sends',
					},
					{
						name: 'Retry Unresolved',
						value: 'retryUnresolved',
						description: 'Put events that found no mentor back in the queue at once (after fixing reference data)',
						action: 'Retry unresolved events',
					},
					{
						name: 'Review Report',
						value: 'reviewReport',
						description: 'Per mentor and training: answers received, checked, median and p90 time to check, on time, open and overdue now (review clock)',
						action: 'Report on answer checking',
					},
					{
						name: 'Set Up Database',
						value: 'setupDatabase',
						description: 'Create or upgrade the tables to the latest version (the same migrations as getcourse-bot init)',
						action: 'Set up the database',
					},
				],
				default: 'cleanup',
			},
			{
				displayName: 'Keep Application Logs (Days)',
				name: 'applicationLogDays',
				type: 'number',
				default: 30,
				typeOptions: { minValue: 1, maxValue: 3650 },
				displayOptions: { show: { operation: ['cleanup'] } },
			},
			{
				displayName: 'Keep Error Logs (Days)',
				name: 'errorLogDays',
				type: 'number',
				default: 90,
				typeOptions: { minValue: 1, maxValue: 3650 },
				displayOptions: { show: { operation: ['cleanup'] } },
			},
			{
				displayName: 'Event ID',
				name: 'eventId',
				type: 'string',
				default: '',
				placeholder: 'all unresolved events',
				description: 'One webhook_events ID to retry (an unresolved event, or one adopted as backlog); empty retries every unresolved event',
				displayOptions: { show: { operation: ['retryUnresolved'] } },
			},
			{
				displayName: 'Mentor Email',
				name: 'mentorEmail',
				type: 'string',
				default: '',
				placeholder: 'every mentor',
				description: 'Retry only the failed notifications of this mentor; empty retries every failed notification',
				displayOptions: { show: { operation: ['retryFailedSends'] } },
			},
			{
				displayName: 'Backlog Days',
				name: 'backlogDays',
				type: 'number',
				default: DEFAULT_BACKLOG_DAYS,
				typeOptions: { minValue: 0, maxValue: 3650 },
				description:
					'Events still waiting after this many days are stored as processed (skip_reason backlog) instead of messaging mentors about old homework; "getcourse-bot retry --backlog" sends them anyway',
				displayOptions: { show: { operation: ['setupDatabase'] } },
			},
			{
				displayName: 'From',
				name: 'reportFrom',
				type: 'string',
				default: '',
				placeholder: '2026-02-01',
				description: 'First day of the period (school time), or a date and time; empty: 6 days before To',
				displayOptions: { show: { operation: ['reviewReport'] } },
			},
			{
				displayName: 'To',
				name: 'reportTo',
				type: 'string',
				default: '',
				placeholder: '2026-02-07',
				description: 'Last day of the period, included (or a date and time, excluded); empty: today',
				displayOptions: { show: { operation: ['reviewReport'] } },
			},
			{ ...timeZoneProperty, displayOptions: { show: { operation: ['reviewReport'] } } },
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description: 'Whether to only report what would run, changing nothing',
				displayOptions: { show: { operation: ['setupDatabase'] } },
			},
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const started = Date.now();
		let db: Db | undefined;
		const done = (json: object): INodeExecutionData[][] => [[{ json: json as IDataObject, pairedItem: { item: 0 } }]];
		try {
			const operation = this.getNodeParameter('operation', 0) as string;
			db = await dbFor(this, { schema: operation === 'setupDatabase' ? 'any' : 'current' });
			const database = db;
			if (operation === 'setupDatabase') {
				const dryRun = this.getNodeParameter('dryRun', 0, false) as boolean;
				const backlogDays = boundedNumber(this, 'backlogDays', 0, 3650, DEFAULT_BACKLOG_DAYS);
				const r = await migrate(database, { dryRun });
				const backlog = dryRun && !r.schemaExists ? { count: 0, oldest: null, newest: null } : await withClient(database, (c) => adoptBacklog(c, backlogDays, { dryRun }));
				return done({
					backlog: { days: backlogDays, [dryRun ? 'wouldAdopt' : 'adopted']: backlog.count, oldest: backlog.oldest, newest: backlog.newest },
					dryRun,
					origin: r.origin,
					versionBefore: r.current,
					latest: r.latest,
					applied: r.applied,
					pending: dryRun ? r.pending.map((m) => ({ version: m.version, name: m.name, description: m.description })) : [],
					notices: r.notices,
					overlapGuards: r.guards.map((g) => ({ table: g.table, key: g.key, state: g.state, kind: g.kind, overlaps: g.overlaps, reversed: g.reversed, message: g.message })),
					rows: r.rows,
				});
			}
			if (operation === 'stats') {
				return done(await withClient(database, (c) => collectStats(c, database.settings.schema)));
			}
			if (operation === 'retryFailedSends') {
				const raw = String(this.getNodeParameter('mentorEmail', 0, '')).trim();
				const mentorEmail = raw ? normaliseEmail(raw) : undefined;
				if (mentorEmail === null) throw new NodeOperationError(this.getNode(), `Mentor Email "${raw}" is not an email address`);
				const r = await retryFailedSends(database.pool, { mentorEmail });
				await logRun(database, started, { source: LOG_SOURCE, outcome: 'success', counts: { requeued: r.requeued.length, skipped: r.skipped.length } });
				return done({ requeued: r.requeued.length, notifications: r.requeued, skipped: r.skipped });
			}
			if (operation === 'reviewReport') {
				const p = reportPeriod(
					String(this.getNodeParameter('reportFrom', 0, '')).trim() || undefined,
					String(this.getNodeParameter('reportTo', 0, '')).trim() || undefined,
					readTimeZone(this),
				);
				const rows = await reviewReport(database.pool, p.from, p.to);
				// One item per mentor, per training, and the total, for a sheet or a message.
				return [rows.map((r) => ({ json: { period: p.label, from: p.from.toISOString(), to: p.to.toISOString(), ...r }, pairedItem: { item: 0 } }))];
			}
			if (operation === 'retryUnresolved') {
				const eventId = String(this.getNodeParameter('eventId', 0, '')).trim();
				const r = await retryUnresolved(database.pool, eventId || undefined);
				if (eventId && !r.requeued.length) r.requeued.push(...(await retryBacklog(database.pool, eventId)).requeued);
				await logRun(database, started, { source: LOG_SOURCE, outcome: 'success', counts: { requeued: r.requeued.length } });
				return done({ requeued: r.requeued.length, eventIds: r.requeued });
			}
			const appDays = boundedNumber(this, 'applicationLogDays', 1, 3650, 30);
			const errorDays = boundedNumber(this, 'errorLogDays', 1, 3650, 90);
			const deleted = await withClient(database, (c) => cleanupLogs(c, appDays, errorDays));
			await logRun(database, started, { source: LOG_SOURCE, outcome: 'success', counts: deleted });
			return done({ deleted, applicationLogDays: appDays, errorLogDays: errorDays });
		} catch (err) {
			await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts: {}, error: (err as Error).message });
			return batchFailure(this, err, 1);
		}
	}
}
