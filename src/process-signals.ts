/**
 * Ctrl-C or SIGTERM asks for a graceful stop; a second Ctrl-C exits at once. Our own listeners,
 * because the SDK's shutdown hook removes itself on the first signal, and another library's exit
 * hook may then re-raise the signal and end the process mid-shutdown.
 */
export function stopOnSignals(stop: () => void, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const first = () => {
    say('stopping (Ctrl-C again to exit now) …');
    process.on('SIGINT', () => process.exit(130));
    stop();
  };
  process.once('SIGINT', first);
  process.once('SIGTERM', first);
}
