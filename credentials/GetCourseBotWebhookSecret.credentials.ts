import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * The shared secret GetCourse must send with every call (query parameter "secret" or header
 * X-GetCourse-Secret). GetCourse signs nothing, so this is the webhook's only protection; n8n
 * keeps it encrypted, and it never appears in node parameters, outputs or logs.
 */
export class GetCourseBotWebhookSecret implements ICredentialType {
	name = 'getCourseBotWebhookSecret';

	displayName = 'GetCourse Webhook Secret';

	icon: Icon = { light: 'file:../icons/getcourse.svg', dark: 'file:../icons/getcourse.dark.svg' };

	documentationUrl = 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-webhook-secret';

	properties: INodeProperties[] = [
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'A long random string. Add it to the URL typed into GetCourse as ?secret=… (or send it as the X-GetCourse-Secret header).',
		},
	];
}
