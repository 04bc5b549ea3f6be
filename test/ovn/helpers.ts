// What src/ovn sent: an OvsdbDatabase `openChannel` that records every `transact` request on the wire.
import type { Json } from '../../src/ovsdb/json.js';
import { openRpcChannel, type RpcChannel, type RpcChannelOptions } from '../../src/ovsdb/rpc-channel.js';

/** Every `transact` sent, as its params (database name, then the operations). */
export class SentTransactions {
  readonly sent: Json[][] = [];

  get count(): number { return this.sent.length; }

  /** Pass as `openChannel` to openNorthbound / OvsdbDatabase.connect. */
  readonly openChannel = async (remote: string, options: RpcChannelOptions = {}): Promise<RpcChannel> => {
    const inner = await openRpcChannel(remote, options);
    const sent = this.sent;
    return {
      get remote() { return inner.remote; },
      get lastReceived() { return inner.lastReceived; },
      get bytesReceived() { return inner.bytesReceived; },
      get closed() { return inner.closed; },
      get isClosed() { return inner.isClosed; },
      get onNotification() { return inner.onNotification; },
      set onNotification(f) { inner.onNotification = f; },
      request(method, params, options) {
        if (method === 'transact') sent.push(params);
        return inner.request(method, params, options);
      },
      notify: (method, params) => inner.notify(method, params),
      close: (reason) => inner.close(reason),
    };
  };
}
