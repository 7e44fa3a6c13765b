import { Command } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerData } from './commands/data.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerTriggers } from './commands/triggers.js';
import { exitCodeFor } from './exit-codes.js';

const program = new Command('retrain')
  .description('Keep ML models fresh with durable Temporal workflows.\nConfig: ./retrain.config.yaml, or set RETRAIN_CONFIG.')
  .showHelpAfterError();
registerData(program);
registerPipeline(program);
registerTriggers(program);
registerAudit(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = exitCodeFor(err);
  if (code !== 0 && !(err as Error).message.startsWith('exit ')) process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = code;
}
