import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { withTransaction, type Db } from '../../lib/db/pool';
import type { NewNotification } from '../../lib/db/notifications';
import {
	createNotifications,
	createStaffAlerts,
	DEFAULT_NOTIFICATION_TYPE,
	prepareNotification,
	prepareStaffAlert,
	STAFF_ALERT_TYPE,
	type PreparedNotification,
} from '../../lib/notify/createNotifications';
import { DEFAULT_STAFF_TEMPLATE, DEFAULT_TEMPLATE, PLACEHOLDERS, STAFF_PLACEHOLDERS } from '../../lib/notify/template';
import { chatIdProblem } from '../../lib/telegram/chatId';
import { NOT_AN_AGENT_TOOL } from '../shared/agentTool';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure, itemFailure } from '../shared/errors';
import { lessonLinkProperties, readLessonLink } from '../shared/lessonLink';
import { CUSTOM_TYPE, NOTIFICATION_TYPE_OPTIONS, notificationTypeOf } from './notificationType';
import { logRun } from '../shared/runLog';
import { readTimeZone, timeZoneProperty } from '../shared/timeZone';

const LOG_SOURCE = 'getcourse-create-notification';
const list = (names: readonly string[]) => names.map((p) => `{${p}}`).join(' ');

export class GetCourseCreateNotification implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Create Notification',
		name: 'getCourseCreateNotification',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["recipient"] === "staff" ? "staff alert" : "to the mentor" }}',
		description: 'Render the Telegram message for each event and queue it once (deduplicated per event)',
		// used as it is by the editor's Docs link (a codex link gets ?utm_… appended after the #anchor)
		documentationUrl: 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-create-notification',
		defaults: { name: 'GetCourse Create Notification' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [{ name: 'getCourseBotPostgres', displayName: 'PostgreSQL Database', required: true, testedBy: 'getCourseBotPostgresTest' }],
		properties: [
			{
				displayName: 'Recipient',
				name: 'recipient',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Mentor of Each Resolved Event',
						value: 'mentor',
						description: "Input: Resolve Mentor's Resolved output. Marks each event processed.",
					},
					{
						name: 'Staff Chat (Unresolved Events)',
						value: 'staff',
						description: "Input: Resolve Mentor's Unresolved output. One alert per event, not per retry.",
					},
				],
				default: 'mentor',
			},
			{
				displayName: 'Message Template',
				name: 'template',
				type: 'string',
				typeOptions: { rows: 8 },
				default: DEFAULT_TEMPLATE,
				hint: `Telegram HTML (b, i, a, code). Placeholders: ${list(PLACEHOLDERS)}. {event_title} says new answer, resubmission (повторная сдача) or comment.`,
				description:
					'Values are HTML-escaped when filled; {answer_excerpt} is the first 500 characters of the answer or comment; the message is cut to 4096 characters',
				displayOptions: { show: { recipient: ['mentor'] } },
			},
			{
				displayName: 'Notification Type',
				name: 'notificationType',
				type: 'options',
				noDataExpression: true,
				options: NOTIFICATION_TYPE_OPTIONS,
				default: DEFAULT_NOTIFICATION_TYPE,
				description: 'Stored in notifications.type; an event gets at most one notification of each type',
				displayOptions: { show: { recipient: ['mentor'] } },
			},
			{
				displayName: 'Custom Type Name',
				name: 'customNotificationType',
				type: 'string',
				default: '',
				placeholder: 'homework_digest_copy',
				description: 'Letters, digits and underscores (up to 50); not one of the types the package itself writes',
				displayOptions: { show: { recipient: ['mentor'], notificationType: [CUSTOM_TYPE] } },
			},
			{
				displayName: 'Staff Chat ID',
				name: 'staffChatId',
				type: 'string',
				default: '',
				placeholder: '-1001234567890',
				hint: 'The Telegram chat (group or person) the bot tells about events nobody could be found for; a forum topic as -1001234567890:45. Leave empty to skip alerts.',
				description: 'Add the bot to the staff group; the group ID is negative. Several alerts waiting at once go as one digest message.',
				displayOptions: { show: { recipient: ['staff'] } },
			},
			{
				displayName: 'Alert Template',
				name: 'staffTemplate',
				type: 'string',
				typeOptions: { rows: 7 },
				default: DEFAULT_STAFF_TEMPLATE,
				hint: `Telegram HTML. Placeholders: ${list(STAFF_PLACEHOLDERS)}.`,
				displayOptions: { show: { recipient: ['staff'] } },
			},
			...lessonLinkProperties({ show: { recipient: ['mentor'] } }),
			timeZoneProperty,
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const started = Date.now();
		const items = this.getInputData();
		let recipient: string;
		let prepare: (json: unknown) => PreparedNotification;
		let chatId = '';
		try {
			recipient = this.getNodeParameter('recipient', 0, 'mentor') as string;
			const timeZone = readTimeZone(this);
			if (recipient === 'staff') {
				chatId = String(this.getNodeParameter('staffChatId', 0, '')).trim();
				const problem = chatId ? chatIdProblem(chatId) : null;
				if (problem) throw new NodeOperationError(this.getNode(), `Staff Chat ID ${problem}`);
				const template = this.getNodeParameter('staffTemplate', 0, DEFAULT_STAFF_TEMPLATE) as string;
				prepare = (json) => prepareStaffAlert(json, { template, type: STAFF_ALERT_TYPE, timeZone, chatId });
			} else {
				const template = this.getNodeParameter('template', 0, DEFAULT_TEMPLATE) as string;
				const type = notificationTypeOf(
					String(this.getNodeParameter('notificationType', 0, DEFAULT_NOTIFICATION_TYPE)),
					String(this.getNodeParameter('customNotificationType', 0, '')),
				);
				const link = readLessonLink(this);
				prepare = (json) => prepareNotification(json, { template, type, timeZone, link });
			}
		} catch (err) {
			return batchFailure(this, err, items.length);
		}
		if (recipient === 'staff' && !chatId) {
			// Alerts are optional: without a chat the unresolved events only wait for their retry.
			return [items.map((item, i) => ({ json: { eventId: item.json.eventId ?? null, status: 'skipped', reason: 'no Staff Chat ID set' }, pairedItem: { item: i } }))];
		}

		const out: INodeExecutionData[] = new Array(items.length);
		const valid: Array<{ index: number; row: NewNotification }> = [];
		for (let i = 0; i < items.length; i++) {
			let p: PreparedNotification;
			try {
				p = prepare(items[i].json);
			} catch (err) {
				p = { ok: false, reason: (err as Error).message };
			}
			if (p.ok) valid.push({ index: i, row: p.row });
			else out[i] = itemFailure(this, `Item ${i}: ${p.reason}`, i);
		}
		let db: Db | undefined;
		if (valid.length) {
			try {
				db = await dbFor(this);
				const rows = valid.map((v) => v.row);
				const results = await withTransaction(db, (c) => (recipient === 'staff' ? createStaffAlerts(c, rows) : createNotifications(c, rows)));
				results.forEach((r, k) => {
					const { index, row } = valid[k];
					out[index] = {
						json: {
							eventId: row.eventId,
							notificationId: r.notificationId,
							created: r.created,
							status: r.created ? 'pending' : 'duplicate',
							chatId: row.chatId,
							type: row.type,
							messageHash: r.messageHash,
						},
						pairedItem: { item: index },
					};
				});
				await logRun(db, started, {
					source: LOG_SOURCE,
					outcome: valid.length < items.length ? 'partial' : 'success',
					counts: { created: results.filter((r) => r.created).length, duplicates: results.filter((r) => !r.created).length, failed: items.length - valid.length },
				});
			} catch (err) {
				await logRun(db, started, { source: LOG_SOURCE, outcome: 'error', counts: {}, error: (err as Error).message });
				return batchFailure(this, err, items.length);
			}
		}
		return [out.filter(Boolean)];
	}
}
