import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { withTransaction } from '../../lib/db/pool';
import type { NewNotification } from '../../lib/db/notifications';
import {
	createNotifications,
	DEFAULT_NOTIFICATION_TYPE,
	prepareNotification,
} from '../../lib/notify/createNotifications';
import { DEFAULT_TEMPLATE, PLACEHOLDERS } from '../../lib/notify/template';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure, itemFailure } from '../shared/errors';
import { readTimeZone, timeZoneProperty } from '../shared/timeZone';

export class GetCourseCreateNotification implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Create Notification',
		name: 'getCourseCreateNotification',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		usableAsTool: true,
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["notificationType"]}}',
		description: 'Render the mentor message and queue it once (deduplicated), marking the event processed',
		defaults: { name: 'GetCourse Create Notification' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'getCourseBotPostgres', required: true, testedBy: 'getCourseBotPostgresTest' }],
		properties: [
			{
				displayName: 'Message Template',
				name: 'template',
				type: 'string',
				typeOptions: { rows: 8 },
				default: DEFAULT_TEMPLATE,
				description: `Telegram HTML (b, i, a, code…). Placeholders, HTML-escaped when filled: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}. {answer_excerpt} is the first 500 characters of the answer. The message is cut to 4096 characters.`,
			},
			{
				displayName: 'Notification Type',
				name: 'notificationType',
				type: 'string',
				default: DEFAULT_NOTIFICATION_TYPE,
				description: 'Stored in notifications.type and part of the deduplication hash',
			},
			timeZoneProperty,
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		let template: string;
		let type: string;
		let timeZone: string;
		try {
			template = this.getNodeParameter('template', 0, DEFAULT_TEMPLATE) as string;
			type = String(this.getNodeParameter('notificationType', 0, DEFAULT_NOTIFICATION_TYPE)).trim();
			if (!type) throw new NodeOperationError(this.getNode(), 'Notification Type must not be empty');
			timeZone = readTimeZone(this);
		} catch (err) {
			return batchFailure(this, err, items.length);
		}

		const out: INodeExecutionData[] = new Array(items.length);
		const valid: Array<{ index: number; row: NewNotification }> = [];
		for (let i = 0; i < items.length; i++) {
			let p: ReturnType<typeof prepareNotification>;
			try {
				p = prepareNotification(items[i].json, { template, type, timeZone });
			} catch (err) {
				p = { ok: false, reason: (err as Error).message };
			}
			if (p.ok) valid.push({ index: i, row: p.row });
			else out[i] = itemFailure(this, `Item ${i}: ${p.reason}`, i);
		}
		if (valid.length) {
			try {
				const db = await dbFor(this);
				const results = await withTransaction(db, (c) => createNotifications(c, valid.map((v) => v.row)));
				results.forEach((r, k) => {
					const { index, row } = valid[k];
					out[index] = {
						json: {
							eventId: row.eventId,
							notificationId: r.notificationId,
							created: r.created,
							status: r.created ? 'pending' : 'duplicate',
							chatId: row.chatId,
							messageHash: r.messageHash,
						},
						pairedItem: { item: index },
					};
				});
			} catch (err) {
				return batchFailure(this, err, items.length);
			}
		}
		return [out.filter(Boolean)];
	}
}
