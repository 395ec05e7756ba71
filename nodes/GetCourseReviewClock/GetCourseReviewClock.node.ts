import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type { Db } from '../../lib/db/pool';
import { NOT_AN_AGENT_TOOL } from '../shared/agentTool';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure } from '../shared/errors';
import { lessonLinkProperties } from '../shared/lessonLink';
import { logRun } from '../shared/runLog';
import { timeZoneProperty } from '../shared/timeZone';
import { show, type ReviewOperation } from './actions/common';
import { digestOperation } from './actions/digest.operation';
import { remindOperation } from './actions/remind.operation';
import { weeklyReportOperation } from './actions/weeklyReport.operation';

const LOG_SOURCE = 'getcourse-review-clock';

const OPERATIONS: Record<string, ReviewOperation> = {
	remind: remindOperation,
	digest: digestOperation,
	weeklyReport: weeklyReportOperation,
};

/**
 * The review clock (SPEC §13): a review opens when a mentor is notified of an answer and closes
 * when GetCourse says it was checked (migration 006). This node queues what follows from the
 * clock — reminders, escalations, digests, the weekly report — as notifications for Send Pending.
 * Each operation runs once per execution, whatever its input.
 */
export class GetCourseReviewClock implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Review Clock',
		name: 'getCourseReviewClock',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ {"remind": "Reminders and Escalations", "digest": "Daily Digests", "weeklyReport": "Weekly Report"}[$parameter["operation"]] }}',
		description: 'Every answer checked on time: reminders to mentors, escalations to staff, daily digests and a weekly report',
		// used as it is by the editor's Docs link (a codex link gets ?utm_… appended after the #anchor)
		documentationUrl: 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-review-clock',
		defaults: { name: 'GetCourse Review Clock' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'getCourseBotPostgres', required: true, testedBy: 'getCourseBotPostgresTest', displayName: 'PostgreSQL Database' }],
		usableAsTool: NOT_AN_AGENT_TOOL,
		hints: [
			{
				message:
					'Reviews close only when GetCourse reports the check (a process "Вызвать URL" on the answer\'s status, or the Tech API comment event): without that set up, every answer looks unchecked. Connect GetCourse Send Pending after this node.',
				type: 'info',
				location: 'outputPane',
				whenToDisplay: 'always',
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Queue Daily Digests',
						value: 'digest',
						description: "Each mentor's answers still waiting for a check, oldest first, once a day",
						action: 'Queue daily digests',
					},
					{
						name: 'Queue Reminders and Escalations',
						value: 'remind',
						description: 'Every minute: deadlines for new reviews, one reminder past the deadline, one escalation past twice the deadline',
						action: 'Queue reminders and escalations',
					},
					{
						name: 'Queue Weekly Report',
						value: 'weeklyReport',
						description: "Last week's checking per mentor and training, to the staff chat, once a week",
						action: 'Queue the weekly report',
					},
				],
				default: 'remind',
			},
			...remindOperation.properties,
			...digestOperation.properties,
			{
				displayName: 'Staff Chat ID',
				name: 'staffChatId',
				type: 'string',
				default: '',
				placeholder: '-1001234567890',
				hint: 'Where escalations (and the weekly report) go. Empty: no escalations.',
				description: 'A Telegram chat the bot is in: a group (negative ID; "-100123:45" for a forum topic) or a person',
				displayOptions: show('remind', 'weeklyReport'),
			},
			...lessonLinkProperties(show('remind', 'digest')),
			timeZoneProperty,
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const started = Date.now();
		const items = this.getInputData();
		let db: Db | undefined;
		try {
			const name = this.getNodeParameter('operation', 0) as string;
			const operation = OPERATIONS[name];
			if (!operation) throw new NodeOperationError(this.getNode(), `Unknown operation "${name}"`);
			db = await dbFor(this);
			const r = await operation.execute(this, db);
			await logRun(db, started, { source: LOG_SOURCE, outcome: 'success', counts: r.counts });
			return [[{ json: { operation: name, ...r.json }, pairedItem: { item: 0 } }]];
		} catch (err) {
			await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts: {}, error: (err as Error).message });
			return batchFailure(this, err, Math.min(items.length, 1));
		}
	}
}
