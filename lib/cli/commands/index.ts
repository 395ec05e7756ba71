import type { Command } from '../context';
import { cleanup } from './cleanup';
import { init } from './init';
import { retry } from './retry';
import { stats } from './stats';

/** Every command of `getcourse-bot`, in the order the usage text lists them. */
export const COMMANDS: Record<string, Command> = { init, stats, cleanup, retry };
