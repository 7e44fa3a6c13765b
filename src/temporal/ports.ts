import net from 'node:net';

function tryListen(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const addr = server.address();
      server.close(() => resolve(typeof addr === 'object' && addr ? addr.port : undefined));
    });
  });
}

/** The preferred port when it is free, otherwise one the OS picks. */
export async function freePort(preferred = 0, host = '127.0.0.1'): Promise<number> {
  const port = (await tryListen(preferred, host)) ?? (await tryListen(0, host));
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}
