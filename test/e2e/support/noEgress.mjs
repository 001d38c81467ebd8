// Preload (node --import) that refuses every network connection that does not stay on this machine
// and records each attempt (one JSON line per attempt) in the file named by S2T_EGRESS_LOG.
import net from 'node:net';
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';

const logFile = process.env.S2T_EGRESS_LOG;
const isLoopback = (host) => host === undefined || host === 'localhost' || /^127\./.test(host) || host === '::1' || host === '::ffff:127.0.0.1';
const refuse = (what, host) => {
  if (logFile) appendFileSync(logFile, `${JSON.stringify({ what, host: String(host) })}\n`);
  const err = new Error(`egress refused: ${what} ${String(host)}`);
  err.code = 'EGRESS_REFUSED';
  return err;
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const opts = typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  if (!opts.path && !isLoopback(opts.host)) {
    const err = refuse('connect', opts.host);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return connect.apply(this, args);
};

const lookup = dns.lookup;
dns.lookup = function (hostname, ...rest) {
  if (!isLoopback(hostname)) {
    const cb = rest.at(-1);
    const err = refuse('dns', hostname);
    if (typeof cb === 'function') process.nextTick(() => cb(err));
    return {};
  }
  return lookup.call(this, hostname, ...rest);
};
const plookup = dns.promises.lookup;
dns.promises.lookup = async (hostname, ...rest) => {
  if (!isLoopback(hostname)) throw refuse('dns', hostname);
  return plookup(hostname, ...rest);
};
