// Gives a Node child process the `process.parentPort` Electron gives a utility process, bridged to
// the child's IPC channel: postMessage → process.send, 'message' events carry `{ data }`.
process.parentPort = {
  postMessage: (m) => process.send?.(m),
  on: (event, listener) => {
    if (event === 'message') process.on('message', (m) => listener({ data: m }));
  },
};
// Like a utility process, it does not outlive the app: when the parent goes away, so does it.
process.on('disconnect', () => process.exit(1));
