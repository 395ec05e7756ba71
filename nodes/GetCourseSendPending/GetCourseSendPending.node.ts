import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { checkToken } from '../../lib/telegram/client';
import { sendPending } from '../../lib/telegram/sendPending';
import { redact } from '../../lib/db/connectionErrors';
import { credentialTestMethods, dbFor, TELEGRAM_CREDENTIAL } from '../shared/database';

export class GetCourseSendPending implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Send Pending',
		name: 'getCourseSendPending',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		usableAsTool: true,
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["messagesPerSecond"] + " msg/s"}}',
		description: 'Send pending mentor notifications to Telegram, paced and never twice',
		defaults: { name: 'GetCourse Send Pending' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'getCourseBotPostgres', required: true, testedBy: 'getCourseBotPostgresTest' },
			{ name: 'getCourseBotTelegramApi', required: true },
		],
		properties: [
			{
				displayName: 'Max Messages per Run',
				name: 'maxMessages',
				type: 'number',
				default: 1000,
				typeOptions: { minValue: 1 },
			},
			{
				displayName: 'Max Run Time (Seconds)',
				name: 'maxRunSeconds',
				type: 'number',
				default: 25,
				typeOptions: { minValue: 1 },
				description: 'After this the run takes no new messages; keep it below the schedule interval',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Batch Size',
						name: 'batchSize',
						type: 'number',
						default: 100,
						description: 'Notifications claimed per database round trip',
					},
					{
						displayName: 'Concurrency',
						name: 'concurrency',
						type: 'number',
						default: 8,
						description: 'Requests to Telegram in flight at once',
					},
					{
						displayName: 'Max Attempts',
						name: 'maxAttempts',
						type: 'number',
						default: 5,
						description: 'Attempts over all runs before a notification is marked failed',
					},
					{
						displayName: 'Messages per Second',
						name: 'messagesPerSecond',
						type: 'number',
						default: 29,
						description: 'Overall pace; Telegram allows about 30',
					},
					{
						displayName: 'Per-Chat Interval (Ms)',
						name: 'perChatIntervalMs',
						type: 'number',
						default: 1000,
						description: 'Least time between two messages to one chat; Telegram allows about one a second',
					},
					{
						displayName: 'Request Timeout (Ms)',
						name: 'requestTimeoutMs',
						type: 'number',
						default: 15000,
					},
					{
						displayName: 'Retries per Run',
						name: 'retriesPerRun',
						type: 'number',
						default: 3,
						description: 'Retries of a 5xx or network error inside one run, with doubling backoff',
					},
				],
			},
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		let token = '';
		try {
			const tg = await this.getCredentials(TELEGRAM_CREDENTIAL);
			token = String(tg.accessToken ?? '').trim();
			const baseUrl = String(tg.baseUrl || 'https://api.telegram.org').trim();
			checkToken(token);
			const options = this.getNodeParameter('options', 0, {}) as IDataObject;
			const db = await dbFor(this);
			const outcomes = await sendPending(
				db.pool,
				{ baseUrl, token, requestTimeoutMs: Number(options.requestTimeoutMs ?? 15000) },
				{
					...(options as object),
					maxMessages: this.getNodeParameter('maxMessages', 0) as number,
					maxRunSeconds: this.getNodeParameter('maxRunSeconds', 0) as number,
				},
			);
			return [outcomes.map((o) => ({ json: o as unknown as IDataObject, pairedItem: { item: 0 } }))];
		} catch (err) {
			const message = redact(String((err as Error)?.message ?? err), [token]);
			if (this.continueOnFail()) return [[{ json: { error: message }, pairedItem: { item: 0 } }]];
			throw new NodeOperationError(this.getNode(), message);
		}
	}
}
