import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { cleanupLogs } from '../../lib/db/logs';
import { migrate } from '../../lib/db/migrate';
import { withClient, type Db } from '../../lib/db/pool';
import { collectStats } from '../../lib/db/stats';
import { retryUnresolved } from '../../lib/resolve/retry';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure } from '../shared/errors';
import { boundedNumber } from '../shared/parameters';
import { logRun } from '../shared/runLog';

const LOG_SOURCE = 'getcourse-maintenance';

export class GetCourseMaintenance implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Maintenance',
		name: 'getCourseMaintenance',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ {"cleanup": "Clean Up Logs", "stats": "Backlog Stats", "retryUnresolved": "Retry Unresolved", "setupDatabase": "Set Up Database"}[$parameter["operation"]] }}',
		description: 'Set up or upgrade the GetCourse Bot database, clean up logs, report the backlog, retry unresolved events',
		defaults: { name: 'GetCourse Maintenance' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'getCourseBotPostgres', required: true, testedBy: 'getCourseBotPostgresTest' }],
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
						name: 'Retry Unresolved',
						value: 'retryUnresolved',
						description: 'Put events that found no mentor back in the queue at once (after fixing reference data)',
						action: 'Retry unresolved events',
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
				description: 'One webhook_events ID to retry; empty retries every unresolved event',
				displayOptions: { show: { operation: ['retryUnresolved'] } },
			},
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
				const r = await migrate(database, { dryRun });
				return done({
					dryRun,
					origin: r.origin,
					versionBefore: r.current,
					latest: r.latest,
					applied: r.applied,
					pending: dryRun ? r.pending.map((m) => ({ version: m.version, name: m.name, description: m.description })) : [],
					notices: r.notices,
					overlapGuards: r.guards.map((g) => ({ table: g.table, key: g.key, state: g.state, kind: g.kind, overlaps: g.overlaps, message: g.message })),
					rows: r.rows,
				});
			}
			if (operation === 'stats') {
				return done(await withClient(database, (c) => collectStats(c, database.settings.schema)));
			}
			if (operation === 'retryUnresolved') {
				const eventId = String(this.getNodeParameter('eventId', 0, '')).trim();
				const r = await retryUnresolved(database.pool, eventId || undefined);
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
