import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { withTransaction, type Db } from '../../lib/db/pool';
import { DEFAULT_RETRY_SCHEDULE_MINUTES, parseRetrySchedule } from '../../lib/resolve/backoff';
import { LOG_SOURCE, resolveMentors, type ResolvedEvent, type UnresolvedEvent } from '../../lib/resolve/resolveMentors';
import { releaseStart, startsIn } from '../../lib/store/coalescedStart';
import { NOT_AN_AGENT_TOOL } from '../shared/agentTool';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure } from '../shared/errors';
import { boundedNumber } from '../shared/parameters';
import { logRun } from '../shared/runLog';

/** A coalesced start claims batch after batch until none wait, at most this many per execution. */
const COALESCED_MAX_BATCHES = 20;

export class GetCourseResolveMentor implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Resolve Mentor',
		name: 'getCourseResolveMentor',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{"up to " + $parameter["batchSize"] + " events"}}',
		description: 'Claim stored GetCourse events and find the mentor of each student at the event date',
		// used as it is by the editor's Docs link (a codex link gets ?utm_… appended after the #anchor)
		documentationUrl: 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-resolve-mentor',
		defaults: { name: 'GetCourse Resolve Mentor' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		usableAsTool: NOT_AN_AGENT_TOOL,
		outputNames: ['Resolved', 'Unresolved'],
		credentials: [{ name: 'getCourseBotPostgres', displayName: 'PostgreSQL Database', required: true, testedBy: 'getCourseBotPostgresTest' }],
		hints: [
			{
				message:
					'Runs once per execution, whatever its input: it claims up to Batch Size waiting events (started by GetCourse Trigger in Coalesced mode: batch after batch until none wait). "Resolved" goes to GetCourse Create Notification; "Unresolved" (no student, no mapping, two mentors and no training, a departed mentor, no telegram_id) can go to a Create Notification set to the staff chat.',
				type: 'info',
				location: 'outputPane',
				whenToDisplay: 'always',
			},
		],
		properties: [
			{
				displayName:
					'Who the mentor is follows the mapping valid at the event date; how to reach them (telegram_id) comes from the mentor\'s row valid now. Reference data added after the event is used when nothing was valid then (recorded on the event).',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Batch Size',
				name: 'batchSize',
				type: 'number',
				default: 100,
				typeOptions: { minValue: 1, maxValue: 10000 },
				description: 'Most events claimed per execution',
			},
			{
				displayName: 'Max Attempts',
				name: 'maxAttempts',
				type: 'number',
				default: 10,
				typeOptions: { minValue: 1, maxValue: 100 },
				description:
					'Attempts to resolve an event before it is given up (marked processed with its error); "getcourse-bot retry" or Maintenance → Retry Unresolved puts it back',
			},
			{
				displayName: 'Retry Schedule (Minutes)',
				name: 'retrySchedule',
				type: 'string',
				default: DEFAULT_RETRY_SCHEDULE_MINUTES.join(', '),
				description: 'Wait after the 1st, 2nd, … failed attempt, so staff can add the missing reference data; the last value repeats',
			},
			{
				displayName: 'Lease (Seconds)',
				name: 'leaseSeconds',
				type: 'number',
				default: 300,
				typeOptions: { minValue: 30, maxValue: 3600 },
				description:
					'How long claimed events stay reserved for Create Notification; if the workflow stops before that, they are claimed again',
			},
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const started = Date.now();
		let db: Db | undefined;
		try {
			const node = this.getNode();
			const opts = {
				batchSize: boundedNumber(this, 'batchSize', 1, 10000),
				maxAttempts: boundedNumber(this, 'maxAttempts', 1, 100),
				leaseSeconds: boundedNumber(this, 'leaseSeconds', 30, 3600),
				retrySchedule: (() => {
					try {
						return parseRetrySchedule(String(this.getNodeParameter('retrySchedule', 0, '')));
					} catch (err) {
						throw new NodeOperationError(node, (err as Error).message);
					}
				})(),
			};
			db = await dbFor(this);
			const conn = db;
			// Started by GetCourse Trigger in coalesced mode: from now on a new answer starts a new
			// execution, and this one claims everything stored before, batch after batch.
			const starts = startsIn(this.getInputData());
			for (const start of starts) await releaseStart(conn.pool, start);
			const resolved: ResolvedEvent[] = [];
			const unresolved: UnresolvedEvent[] = [];
			let stale = 0;
			for (let batch = 0; batch < (starts.length ? COALESCED_MAX_BATCHES : 1); batch++) {
				const r = await withTransaction(conn, (c) => resolveMentors(c, opts));
				resolved.push(...r.resolved);
				unresolved.push(...r.unresolved);
				stale += r.stale.length;
				if (r.resolved.length + r.unresolved.length + r.stale.length < opts.batchSize) break;
			}
			await logRun(db, started, {
				source: LOG_SOURCE,
				outcome: unresolved.length ? 'partial' : 'success',
				counts: { resolved: resolved.length, unresolved: unresolved.length, stale },
			});
			const item = (json: object): INodeExecutionData => ({ json: json as IDataObject, pairedItem: { item: 0 } });
			return [resolved.map(item), unresolved.map(item)];
		} catch (err) {
			await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts: {}, error: (err as Error).message });
			return batchFailure(this, err, 1);
		}
	}
}
