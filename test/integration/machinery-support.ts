import type { KubeConfig } from '@kubernetes/client-node';
import { SharedConnectionKubeConfig } from '../../src/kube/kube-config.js';
import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of the API server, so a test can break a client's connections the
 * way a network does: reset them, refuse new ones, or freeze them silently. TLS passes through
 * untouched (the API server's certificate names 127.0.0.1).
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  private accepted = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  /** Resets every open connection, as a dropped network path does. */
  breakConnections(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** While on, new connections are closed at once. */
  setRefusing(refusing: boolean): void {
    this.refusing = refusing;
  }

  /** Open connections stop carrying data but stay open: a silently stalled watch. New ones work. */
  freezeConnections(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  openConnections(): number {
    return this.pairs.size;
  }

  /** Connections accepted since the proxy started. */
  acceptedConnections(): number {
    return this.accepted;
  }

  async close(): Promise<void> {
    this.breakConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** A copy of `kc` whose current cluster is reached through `proxy` on loopback, and the proxy. */
export async function proxiedKubeConfig(kc: KubeConfig): Promise<{ kubeConfig: KubeConfig; proxy: TcpProxy }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const server = new URL(cluster.server);
  const proxy = new TcpProxy({ host: server.hostname, port: Number(server.port || 443) });
  const port = await proxy.listen();
  const proxied = new SharedConnectionKubeConfig();
  proxied.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${port}` } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return { kubeConfig: proxied, proxy };
}

