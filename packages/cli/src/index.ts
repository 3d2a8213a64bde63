export { COMMANDS, runCli, usageOf, type CommandSpec, type FlagSpec } from './main';
