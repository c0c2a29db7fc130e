// A TCP proxy between a client and a server that a test can cut: hold
// stops what the server sends from reaching the client (it is dropped),
// and cut closes every connection through it at once, without a close
// frame, as a network that fails does.

import net from 'node:net';

export class Proxy {
  constructor(port) {
    this.target = port;
    this.holding = false;
    this.pairs = new Set();
    this.server = net.createServer((client) => this.#pair(client));
  }

  async listen() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    return this;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  #pair(client) {
    const upstream = net.connect(this.target, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!this.holding) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }

  /** hold drops what the server sends from now on, until cut. */
  hold() {
    this.holding = true;
  }

  /** cut ends every connection through the proxy, and lets what the server sends through again. */
  cut() {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
    this.holding = false;
  }

  close() {
    this.cut();
    this.server.close();
  }
}
