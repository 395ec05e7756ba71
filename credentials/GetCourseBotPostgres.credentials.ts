import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * The seed's connection settings: two hosts and an environment that picks one
 * (dev → external host, prod → internal host). Tested by the nodes' credentialTest.
 */
export class GetCourseBotPostgres implements ICredentialType {
	name = 'getCourseBotPostgres';

	displayName = 'GetCourse Bot PostgreSQL';

	icon: Icon = { light: 'file:../icons/getcourse.svg', dark: 'file:../icons/getcourse.dark.svg' };

	documentationUrl = 'https://github.com/getcourse-bot/n8n-nodes-getcourse-bot/blob/main/docs/nodes.md#getcourse-bot-postgresql';

	properties: INodeProperties[] = [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: [
				{ name: 'Dev (External Host)', value: 'dev' },
				{ name: 'Prod (Internal Host)', value: 'prod' },
			],
			default: 'dev',
			description: 'Dev connects to the external host (from outside the hosting), prod to the internal host (inside it)',
		},
		{
			displayName: 'External Host',
			name: 'hostExternal',
			type: 'string',
			default: '',
			placeholder: 'db.example.com',
			description: 'Host used when the environment is dev',
		},
		{
			displayName: 'Internal Host',
			name: 'hostInternal',
			type: 'string',
			default: '',
			placeholder: 'postgres-rw.internal',
			description: 'Host used when the environment is prod',
		},
		{ displayName: 'Port', name: 'port', type: 'number', default: 5432 },
		{ displayName: 'Database', name: 'database', type: 'string', default: 'postgres' },
		{ displayName: 'User', name: 'user', type: 'string', default: 'postgres' },
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Schema',
			name: 'schema',
			type: 'string',
			default: 'public',
			description: 'Schema holding the GetCourse Bot tables (letters, digits and underscores)',
		},
		{
			displayName: 'SSL',
			name: 'ssl',
			type: 'options',
			options: [
				{ name: 'Disable', value: 'disable' },
				{ name: 'Require', value: 'require', description: 'Encrypt, without checking the certificate' },
				{ name: 'Verify CA', value: 'verify-ca', description: 'Encrypt and check the certificate against the CA, not the host name' },
				{ name: 'Verify Full', value: 'verify-full', description: 'Encrypt and check the certificate against the CA and the host name' },
			],
			default: 'disable',
		},
		{
			displayName: 'CA Certificate',
			name: 'sslCa',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE-----',
			description:
				"PEM text of the CA that signed the server's certificate (for a private CA, e.g. a managed database's root certificate). Empty: the system's CAs.",
			displayOptions: { show: { ssl: ['verify-ca', 'verify-full'] } },
		},
		{
			displayName: 'Connection Timeout (Seconds)',
			name: 'connectionTimeout',
			type: 'number',
			default: 60,
			typeOptions: { minValue: 1 },
		},
	];
}
