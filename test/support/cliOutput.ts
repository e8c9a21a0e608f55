// What a CLI command writes, captured: its `io` (stdout for results, stderr for progress and
// explanations, as the commands take them) and the text each received.
export function captureCliOutput() {
  let out = '';
  let err = '';
  return {
    io: { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}
