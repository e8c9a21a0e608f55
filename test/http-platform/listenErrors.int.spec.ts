// `listen` turns the failures an operator fixes with GRANTS_HTTP_HOST / GRANTS_HTTP_PORT into a
// French ConfigError naming the variable (`grants` exits with code 2), on real sockets.
import express from 'express';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../infra/config/config';
import { listen, listenError } from '../../services/http/server';
import { freePort } from '../support/processes';

async function refusal(host: string, port: number): Promise<Error> {
  const error = await listen(express(), host, port).then(
    async (running) => {
      await running.close();
      throw new Error(`listening on ${host}:${port}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as Error;
}

describe('listen: failures named by their variable', () => {
  it('an address that is not this machine’s: GRANTS_HTTP_HOST', async () => {
    const host = '10.99.99.99';
    const local = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
    expect(local).not.toContain(host);
    const error = await refusal(host, await freePort());
    expect(error.message).toContain(`L’adresse ${host} n’est pas celle d’une interface de cette machine`);
    expect(error.message).toContain('GRANTS_HTTP_HOST');
    expect(error.message).not.toContain('EADDRNOTAVAIL');
  });

  it('a name that resolves to nothing: GRANTS_HTTP_HOST', async () => {
    const error = await refusal('nom-inconnu.invalid', await freePort());
    expect(error.message).toContain('Le nom nom-inconnu.invalid ne correspond à aucune adresse connue');
    expect(error.message).toContain('GRANTS_HTTP_HOST');
  });

  it('a port another process holds: GRANTS_HTTP_PORT', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const error = await refusal('127.0.0.1', port);
      expect(error.message).toContain(`Le port ${port} est déjà utilisé sur 127.0.0.1`);
      expect(error.message).toContain('GRANTS_HTTP_PORT');
    } finally {
      holder.close();
    }
  });

  it('a port this account may not open (EACCES, below 1024 unless administrator): GRANTS_HTTP_PORT', () => {
    // The suite may run as root, which may open any port: the error is the one Node gives then.
    const denied = Object.assign(new Error('listen EACCES: permission denied 127.0.0.1:80'), {
      code: 'EACCES',
      syscall: 'listen',
    });
    const error = listenError(denied, '127.0.0.1', 80);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('n’a pas le droit d’écouter sur 127.0.0.1:80');
    expect(error.message).toContain('GRANTS_HTTP_PORT');
  });

  it('any other error as it came', () => {
    const other = Object.assign(new Error('listen EMFILE'), { code: 'EMFILE' });
    expect(listenError(other, '127.0.0.1', 3000)).toBe(other);
  });
});
