/**
 * The command line's one parser. Each command declares its flags and positional arguments
 * (`ArgsSpec`); anything else — an unknown flag, a flag without its value, one argument too
 * many — is a UsageError, which main.ts prints as one line and answers with exit status 2,
 * before any database is touched. A typo must never run a command without the flag the user
 * meant (`retry --faild` re-queueing every unresolved event instead of the failed sends).
 */

export type FlagValue = 'none' | 'text' | 'whole';

export interface FlagSpec {
	/** none: a switch; text: `--name VALUE`; whole: `--name N`, a whole number ≥ 0. */
	value: FlagValue;
	/** Shown in errors about the value: "a whole number of days". */
	what?: string;
}

export interface ArgsSpec {
	/** By full name, with the dashes: { '--json': { value: 'none' } }. */
	flags?: Record<string, FlagSpec>;
	/** Names of the positional arguments, in order (for messages). */
	positionals?: string[];
	/** How many of them must be given (default: all of them). */
	required?: number;
}

export class UsageError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'UsageError';
	}
}

export interface ParsedArgs {
	positionals: string[];
	has(flag: string): boolean;
	/** The flag's value, or undefined when absent. */
	text(flag: string): string | undefined;
	/** The flag's whole-number value, or the fallback when absent. */
	whole(flag: string, fallback: number): number;
	whole(flag: string): number | undefined;
}

export const HELP_FLAGS = ['--help', '-h'];

/** Parses `args` against the command's declaration; `--name=value` works as well as `--name value`. */
export function parseArgs(args: string[], spec: ArgsSpec = {}): ParsedArgs {
	const flags = spec.flags ?? {};
	const names = spec.positionals ?? [];
	const required = spec.required ?? names.length;
	const known = Object.keys(flags);
	const values = new Map<string, string | true>();
	const positionals: string[] = [];
	for (let i = 0; i < args.length; i++) {
		const arg = args[i];
		if (arg === '--') {
			positionals.push(...args.slice(i + 1));
			break;
		}
		if (!arg.startsWith('-') || arg === '-') {
			positionals.push(arg);
			continue;
		}
		const eq = arg.indexOf('=');
		const name = eq > 0 ? arg.slice(0, eq) : arg;
		const f = flags[name];
		if (!f) {
			throw new UsageError(`unknown option ${name}${known.length ? ` (this command knows ${known.join(' ')})` : ' (this command takes none)'}`);
		}
		if (values.has(name)) throw new UsageError(`${name} is given twice`);
		if (f.value === 'none') {
			if (eq > 0) throw new UsageError(`${name} takes no value`);
			values.set(name, true);
			continue;
		}
		const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
		if (v === undefined || (eq < 0 && v.startsWith('--'))) throw new UsageError(`${name} needs ${f.what ?? (f.value === 'whole' ? 'a whole number' : 'a value')}`);
		if (f.value === 'whole' && !/^\d{1,9}$/.test(v)) throw new UsageError(`${name} needs ${f.what ?? 'a whole number'}, got ${JSON.stringify(v)}`);
		values.set(name, v);
	}
	if (positionals.length > names.length) {
		const extra = positionals.slice(names.length).map((p) => JSON.stringify(p)).join(' ');
		throw new UsageError(names.length ? `unexpected argument ${extra} (this command takes ${names.map((n) => `<${n}>`).join(' ')})` : `unexpected argument ${extra} (this command takes none)`);
	}
	if (positionals.length < required) throw new UsageError(`missing <${names[positionals.length]}>`);
	const text = (flag: string) => {
		const v = values.get(flag);
		return typeof v === 'string' ? v : undefined;
	};
	return {
		positionals,
		has: (flag) => values.has(flag),
		text,
		whole: ((flag: string, fallback?: number) => {
			const v = text(flag);
			return v === undefined ? fallback : Number(v);
		}) as ParsedArgs['whole'],
	};
}
