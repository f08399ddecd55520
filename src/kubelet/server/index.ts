// The kubelet's HTTPS API (logs, exec, port-forward, healthz) and the streaming pieces it is built
// from: CRI log parsing, SPDY/3.1 sessions, and relays to the runtime's streaming server.
export {
  startKubeletServer, logTarget, EXEC_WEBSOCKET_PROTOCOLS, PORT_FORWARD_PROTOCOL, PORT_FORWARD_WEBSOCKET_PROTOCOL, RUNTIME_EXEC_PROTOCOL,
  LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, type KubeletServer, type KubeletServerOptions,
} from './server.js';
export { parseCriLogLine, parseLogOptions, LogFormatter, CriLogReader, type CriLogLine, type LogOptions } from './cri-log.js';
export { SpdySession, SpdyStream, SPDY_DICTIONARY, type SpdyHeaders } from './spdy.js';
